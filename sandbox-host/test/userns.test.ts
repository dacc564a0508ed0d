/**
 * User namespaces, proven against a real remapped engine: the second dockerd that
 * scripts/docker-userns.sh starts with `--userns-remap` (the `host-userns` suite points DOCKER_SOCKET at
 * it; vitest.config.ts leaves this file out when DOCKER_SOCKET is unset). Each test fails on an engine
 * without the remap: the engine's own report, the uid map inside a sandbox, the host uid of a sandbox's
 * process and files, and the ownership of an image the builder imported.
 *
 * Host-side reads never follow a path the sandbox controls: the process id comes from the engine
 * (`State.Pid`), `/proc/<pid>/status` and `mountinfo` are the host kernel's, and the one file is
 * `lstat`ed (its last component is not followed) below `/work`, a mount point the sandbox cannot
 * replace (read-only root, no mount syscalls).
 */
import { lstat, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageName } from '../src/images/builder.ts';
import { IMAGE_LABELS } from '../src/images/freshness.ts';
import type { Session, TestHost } from './support.ts';
import { containersOf, docker, runOnHost, scratchImage, startTestHost, waitFor } from './support.ts';

/** Uid 65534 (the sandboxes' user, `nobody`) inside a container. */
const SANDBOX_UID = 65534;

interface Remap {
  /** The host uid and gid that uid/gid 0 in a container map to (the subordinate range's start). */
  uid: number;
  gid: number;
  /** How many ids the range holds. */
  count: number;
}

interface SubIdRange {
  user: string;
  start: number;
  count: number;
}

async function subIdRanges(file: string): Promise<SubIdRange[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length === 3)
    .map(([user, start, count]) => ({ user: user ?? '', start: Number(start), count: Number(count) }));
}

/** `/proc/<pid>/{uid,gid}_map` lines as numbers: [inside, outside, count]. */
const idMap = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));

/**
 * What the engine says about its remap: `userns` among its security options, and its storage root
 * `<data-root>/<uid>.<gid>`, named after the range's first host ids.
 */
async function engineRemap(): Promise<Remap> {
  const info = await docker.info();
  expect(info.SecurityOptions, 'the engine runs without --userns-remap').toContain('name=userns');
  const root = /\/(\d+)\.(\d+)$/.exec(String(info.DockerRootDir));
  expect(root, `storage root ${info.DockerRootDir} names no remapped ids`).not.toBeNull();
  const uid = Number(root?.[1]);
  const gid = Number(root?.[2]);
  const range = (await subIdRanges('/etc/subuid')).find((r) => r.start === uid);
  expect(range, `no /etc/subuid range starts at ${uid}`).toBeDefined();
  return { uid, gid, count: range?.count ?? 0 };
}

let remap: Remap;
/** A host with a warm Python container, as in production. */
let warm: TestHost;
/** A host without a pool: during a run its only container is that run's. */
let cold: TestHost;
/** A host that gives every sandbox a uid of its own (SANDBOX_UID_RANGE). */
let distinct: TestHost;
const UID_RANGE = { first: 20_000, last: 59_999 };

beforeAll(async () => {
  remap = await engineRemap();
  warm = await startTestHost({ POOL_SIZE: '1', POOL_LANGUAGES: 'python', MAX_CONCURRENT_RUNS: '2' });
  cold = await startTestHost({ POOL_SIZE: '0', MAX_CONCURRENT_RUNS: '1' });
  distinct = await startTestHost({
    POOL_SIZE: '0',
    MAX_CONCURRENT_RUNS: '2',
    HOST_ORG_SHARE: '1', // both runs at once, though from one organization
    SANDBOX_UID_RANGE: `${UID_RANGE.first}-${UID_RANGE.last}`,
  });
});

afterAll(async () => {
  for (const h of [warm, cold, distinct]) {
    if (!h) continue; // beforeAll failed before starting it (an engine without the remap)
    await h.close();
    expect(await containersOf(h.hostId)).toEqual([]);
  }
});

describe('the remapped engine', () => {
  it('maps containers to a subordinate range that holds the sandbox uid and no host account', async () => {
    expect(remap.uid).toBeGreaterThan(SANDBOX_UID);
    expect(remap.count).toBeGreaterThan(SANDBOX_UID);
    const gidRange = (await subIdRanges('/etc/subgid')).find((r) => r.start === remap.gid);
    expect(gidRange?.count ?? 0).toBeGreaterThan(SANDBOX_UID);
    // No account and no group on the host has an id in the range: the remapped ids are nobody's.
    const inRange = (id: number, start: number) => id >= start && id < start + remap.count;
    const accounts = (await readFile('/etc/passwd', 'utf8')).split('\n').map((l) => Number(l.split(':')[2]));
    const groups = (await readFile('/etc/group', 'utf8')).split('\n').map((l) => Number(l.split(':')[2]));
    expect(accounts.filter((id) => inRange(id, remap.uid))).toEqual([]);
    expect(groups.filter((id) => inRange(id, remap.gid))).toEqual([]);
    // The range is one user's alone: two users sharing host ids would share what the remap isolates.
    const owners = (await subIdRanges('/etc/subuid')).filter(
      (r) => r.start < remap.uid + remap.count && remap.uid < r.start + r.count,
    );
    expect(owners.length).toBe(1);
  });
});

describe('a sandbox on the remapped engine', () => {
  it('sees the remap in its uid and gid maps (not the identity) and its run is accounted', async () => {
    // The pool works under the remap: a warm container is created, attached and started.
    await waitFor(
      async () => (await containersOf(warm.hostId)).length === 1 || undefined,
      'a warm container',
    );
    const code = [
      'import json, os',
      'held = b"x" * (48 << 20)  # written pages: counted in the peak',
      'print(json.dumps({"uid": os.getuid(), "gid": os.getgid(),',
      '  "uid_map": open("/proc/self/uid_map").read(), "gid_map": open("/proc/self/gid_map").read()}))',
    ].join('\n');
    const out = await runOnHost(warm, { language: 'python', code });
    expect(out.result?.status, out.result?.stderr).toBe('succeeded');
    const seen = JSON.parse(out.result?.stdout ?? '{}') as Record<string, string | number>;
    expect(seen.uid).toBe(SANDBOX_UID);
    expect(seen.gid).toBe(SANDBOX_UID);
    expect(idMap(String(seen.uid_map))).toEqual([[0, remap.uid, remap.count]]);
    expect(idMap(String(seen.gid_map))).toEqual([[0, remap.gid, remap.count]]);
    expect(idMap(String(seen.uid_map))).not.toEqual([[0, 0, 4294967295]]);
    // Accounting reads the container's cgroup as without the remap.
    expect(out.result?.cpuMs).toBeGreaterThan(0);
    expect(out.result?.peakMemoryBytes).toBeGreaterThanOrEqual(48 << 20);
    // The pool refills after the handover.
    await waitFor(
      async () => (await containersOf(warm.hostId)).length === 1 || undefined,
      'a new warm container',
    );
  });

  it('runs as host uid base + 65534, and a file it creates in /work is owned by that uid on the host', async () => {
    const code = [
      'import sys, time',
      'open("/work/made-in-sandbox", "w").write("x")',
      'print("READY", flush=True)',
      'time.sleep(14)',
    ].join('\n');
    const hostUid = remap.uid + SANDBOX_UID;
    const hostGid = remap.gid + SANDBOX_UID;
    let view: Promise<{ status: string; file: { uid: number; gid: number }; work: string }> | undefined;
    const out = await runOnHost(
      cold,
      { language: 'python', code, limits: { timeoutMs: 15_000 } },
      {
        onFrame: (m, session) => {
          if (view || m.type !== 'stdout' || !m.data.includes('READY')) return;
          view = (async () => {
            const containers = await containersOf(cold.hostId);
            expect(containers).toHaveLength(1);
            const pid = (await docker.getContainer(containers[0]?.Id ?? '').inspect()).State.Pid;
            expect(pid).toBeGreaterThan(0);
            const file = await lstat(`/proc/${pid}/root/work/made-in-sandbox`);
            return {
              status: await readFile(`/proc/${pid}/status`, 'utf8'),
              file: { uid: file.uid, gid: file.gid },
              work:
                (await readFile(`/proc/${pid}/mountinfo`, 'utf8'))
                  .split('\n')
                  .find((l) => l.split(' ')[4] === '/work') ?? '',
            };
          })().finally(() => session.send({ type: 'cancel', runId: m.runId }));
        },
      },
    );
    expect(view, 'the program never printed READY').toBeDefined();
    const seen = await view;
    expect(out.result?.status).toBe('cancelled');
    // The sandbox's process (its wrapper, the container's first process) as the host kernel sees it.
    expect(seen?.status).toMatch(
      new RegExp(`^Uid:\\t${hostUid}\\t${hostUid}\\t${hostUid}\\t${hostUid}$`, 'm'),
    );
    expect(seen?.status).toMatch(
      new RegExp(`^Gid:\\t${hostGid}\\t${hostGid}\\t${hostGid}\\t${hostGid}$`, 'm'),
    );
    expect(seen?.file).toEqual({ uid: hostUid, gid: hostGid });
    // The work tree's tmpfs belongs to the same unprivileged uid (mount options as the host reads them).
    expect(seen?.work).toContain(`uid=${hostUid},gid=${hostGid}`);
  });
});

describe('a uid of its own per run (SANDBOX_UID_RANGE) on the remapped engine', () => {
  it('gives two concurrent runs different uids, each a different host uid that owns its files', async () => {
    const code = [
      'import json, os, time',
      'open("/work/mine", "w").write("x")',
      'print(json.dumps({"uid": os.getuid(), "uid_map": open("/proc/self/uid_map").read()}), flush=True)',
      'time.sleep(14)',
    ].join('\n');
    const ready: { runId: string; session: Session; uid: number; uidMap: string }[] = [];
    const printed = new Map<string, string>();
    let bothReady: () => void = () => undefined;
    const both = new Promise<void>((resolve) => {
      bothReady = resolve;
    });
    const run = () =>
      runOnHost(
        distinct,
        { language: 'python', code, limits: { timeoutMs: 15_000 } },
        {
          onFrame: (m, session) => {
            if (m.type !== 'stdout') return;
            // Output arrives in chunks as written (the line and its newline may come apart).
            const runId = m.runId ?? '';
            const text = (printed.get(runId) ?? '') + m.data;
            printed.set(runId, text);
            if (!text.endsWith('\n')) return;
            const seen = JSON.parse(text) as { uid: number; uid_map: string };
            ready.push({ runId, session, uid: seen.uid, uidMap: seen.uid_map });
            if (ready.length === 2) bothReady();
          },
        },
      );
    const runs = Promise.all([run(), run()]);
    await Promise.race([
      both,
      runs.then((outs) => {
        throw new Error(`a run ended before both were running: ${JSON.stringify(outs.map((o) => o.result))}`);
      }),
    ]);
    // While both run: each container's first process and the file it made, as the host sees them.
    const views = await Promise.all(
      (await containersOf(distinct.hostId)).map(async (c) => {
        const pid = (await docker.getContainer(c.Id).inspect()).State.Pid;
        const status = await readFile(`/proc/${pid}/status`, 'utf8');
        const file = await lstat(`/proc/${pid}/root/work/mine`);
        return { uid: Number(/^Uid:\t(\d+)\t/m.exec(status)?.[1]), fileUid: file.uid };
      }),
    );
    for (const r of ready) r.session.send({ type: 'cancel', runId: r.runId });
    expect((await runs).map((o) => o.result?.status)).toEqual(['cancelled', 'cancelled']);

    const inside = ready.map((r) => r.uid);
    expect(new Set(inside).size).toBe(2);
    for (const uid of inside) {
      expect(uid).toBeGreaterThanOrEqual(UID_RANGE.first);
      expect(uid).toBeLessThanOrEqual(UID_RANGE.last);
    }
    for (const r of ready) expect(idMap(r.uidMap)).toEqual([[0, remap.uid, remap.count]]);
    expect(views.map((v) => v.uid).sort()).toEqual(inside.map((uid) => remap.uid + uid).sort());
    for (const v of views) expect(v.fileUid).toBe(v.uid);
  });
});

describe('the image builder on the remapped engine', () => {
  const { manifest, build } = scratchImage(docker, 'userns-test');

  it('imports an image whose root-owned files are the range base on the host and root inside', async () => {
    await build();
    const image = await docker.getImage(imageName(manifest.language)).inspect();
    expect(image.Config.Labels?.[IMAGE_LABELS.language]).toBe(manifest.language);
    // The engine's own copy of the layer (a host path the engine created, not a sandbox's).
    const data = image.GraphDriver.Data as Record<string, string> | null; // overlay2: UpperDir; vfs: Dir
    const layer = data?.UpperDir ?? data?.Dir;
    expect(layer, `no layer path from the ${image.GraphDriver.Name} driver`).toBeDefined();
    const onHost = await lstat(`${layer}/usr/bin/bash`);
    expect({ uid: onHost.uid, gid: onHost.gid }).toEqual({ uid: remap.uid, gid: remap.gid });

    const container = await docker.createContainer({
      Image: imageName(manifest.language),
      Cmd: ['sh', '-c', 'id -u; stat -c %u:%g /usr/bin/bash; cat /proc/self/uid_map'],
      NetworkDisabled: true,
      Tty: true, // raw output, no multiplexing headers
    });
    try {
      await container.start();
      await container.wait();
      const lines = (await container.logs({ stdout: true, stderr: true }))
        .toString('utf8')
        .trim()
        .split(/\r?\n/);
      // The image's USER (65534) and its root-owned files as root inside: the shift is the engine's alone.
      expect(lines.slice(0, 2)).toEqual([String(SANDBOX_UID), '0:0']);
      expect(idMap(lines[2] ?? '')).toEqual([[0, remap.uid, remap.count]]);
    } finally {
      await container.remove({ force: true });
    }
  }, 300_000);
});
