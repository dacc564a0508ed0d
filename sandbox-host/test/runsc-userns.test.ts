/**
 * Under gVisor the runtime's own user namespace is the boundary's uid layer (issue 11: "the uid map
 * shows the remap, or the runtime's own user namespace"). runsc starts each sandbox's kernel (the
 * sentry, the process the engine reports as the container's) in a user namespace of its own that maps
 * nothing but uid and gid 65534, and runs it as host uid 65534: the program's uid 0 or 65534 inside
 * gVisor is a user of gVisor's kernel, not one of the host's. Only the host-runsc suite runs this file
 * (vitest.config.ts leaves it out unless SANDBOX_RUNTIME=runsc); under runc the same checks fail, since
 * a runc sandbox shares the host's user namespace unless the engine remaps (the host-userns suite).
 *
 * Host-side reads follow no path the sandbox controls: the pid comes from the engine (`State.Pid`) and
 * /proc/<pid>/{uid_map,gid_map,status} and ns/user are the host kernel's.
 */
import { readFile, readlink } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { containersOf, docker, runOnHost, testRuntime, withTestHost } from './support.ts';

/** `nobody`: the one id gVisor's namespace maps. */
const NOBODY = 65534;

describe('gVisor: the sandbox runs in a user namespace of its own', () => {
  const h = withTestHost();

  it('maps only nobody, runs the sentry as host uid 65534, and its uid 0 is gVisor’s alone', async () => {
    expect(testRuntime()).toBe('runsc');
    const code = [
      'import json, os, time',
      'print(json.dumps({"uid": os.getuid(), "uid_map": open("/proc/self/uid_map").read()}), flush=True)',
      'time.sleep(14)',
    ].join('\n');
    let host:
      | Promise<{ uidMap: string; gidMap: string; status: string; ns: string; ownNs: string }>
      | undefined;
    const out = await runOnHost(
      h,
      { language: 'python', code, limits: { timeoutMs: 15_000 } },
      {
        onFrame: (m, session) => {
          if (host || m.type !== 'stdout') return;
          host = (async () => {
            const containers = await containersOf(h.hostId);
            expect(containers).toHaveLength(1);
            const pid = (await docker.getContainer(containers[0]?.Id ?? '').inspect()).State.Pid;
            expect(pid).toBeGreaterThan(0);
            return {
              uidMap: await readFile(`/proc/${pid}/uid_map`, 'utf8'),
              gidMap: await readFile(`/proc/${pid}/gid_map`, 'utf8'),
              status: await readFile(`/proc/${pid}/status`, 'utf8'),
              ns: await readlink(`/proc/${pid}/ns/user`),
              ownNs: await readlink('/proc/self/ns/user'),
            };
          })().finally(() => session.send({ type: 'cancel', runId: m.runId }));
        },
      },
    );
    expect(host, 'the program printed nothing').toBeDefined();
    const seen = await host;
    expect(out.result?.status).toBe('cancelled');
    // Another user namespace than the host's (and this test's).
    expect(seen?.ns).toMatch(/^user:\[\d+\]$/);
    expect(seen?.ns).not.toBe(seen?.ownNs);
    // It maps one id, nobody to nobody: host root, and every other host uid, are not in it.
    const oneId = new RegExp(`^\\s*${NOBODY}\\s+${NOBODY}\\s+1\\s*$`);
    expect(seen?.uidMap.trim()).toMatch(oneId);
    expect(seen?.gidMap.trim()).toMatch(oneId);
    expect(seen?.status).toMatch(new RegExp(`^Uid:\\t${NOBODY}\\t${NOBODY}\\t${NOBODY}\\t${NOBODY}$`, 'm'));
    // Inside, the program sees gVisor's own identity map and its own uid: users of gVisor's kernel.
    const inside = JSON.parse(out.streamed.stdout.split('\n')[0] ?? '{}') as { uid: number; uid_map: string };
    expect(inside.uid).toBe(NOBODY);
    expect(inside.uid_map.trim().split(/\s+/).map(Number)).toEqual([0, 0, 4294967295]);
  });
});
