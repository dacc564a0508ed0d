/**
 * Runs from uploaded files (issue 15), end to end: the Worker in workerd with real local R2 and D1,
 * a real sandbox host on a real Docker engine. A multi-file Python project from an archive runs
 * with an `entry`; an uploaded data file is mounted next to inline code; a file larger than one
 * WebSocket frame travels in chunks and arrives intact; files that do not fit /work are refused
 * before any run exists; another tenant's file id is a 404; a file changed in storage after upload
 * no longer matches the digest the run token covers, and never reaches a container.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { gzipSync, strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostState } from '../../src/domain/runs/host-selection.ts';
import type { HostRegistry } from '../../src/durable-objects/host-registry.ts';
import { errorOf } from '../helpers.ts';
import {
  bearer,
  hostsEnv,
  type Overrides,
  postRun,
  type RunView,
  requireHost,
  startExtraHost,
  stopHost,
  worker,
} from '../runs/support.ts';
import { json, mintApiKey, type Tenant, tenant } from '../tenancy/fixtures.ts';
import { type FileBody, tar, uploadRaw } from './support.ts';

let t: Tenant;
beforeAll(async () => {
  requireHost();
  t = await tenant();
});

const upload = async (name: string, bytes: Uint8Array | string, owner: Tenant = t) =>
  json<FileBody>(await uploadRaw(owner.token, name, bytes), 201);

async function runWait(body: Record<string, unknown>, token = t.token, overrides?: Overrides) {
  return postRun(token, { language: 'python', ...body, wait: true }, overrides);
}

/** The harness's sandbox host (the only one in SANDBOX_HOSTS) and the registry's view of it. */
const harnessHostId = () => (JSON.parse(env.SANDBOX_HOSTS) as { id: string }[])[0]?.id ?? '';

async function registryState(): Promise<HostState> {
  const stub = env.HOST_REGISTRY.get(env.HOST_REGISTRY.idFromName('global'));
  return runInDurableObject(stub, (registry: HostRegistry) => registry.view());
}

async function runsOf(userId: string): Promise<number> {
  const row = await env.DB.prepare('SELECT count(*) AS n FROM runs WHERE user_id = ?')
    .bind(userId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

const project = {
  'app.py': strToU8('from pkg.util import greet\nprint(greet(open("data/name.txt").read().strip()))\n'),
  'pkg/__init__.py': strToU8(''),
  'pkg/util.py': strToU8('def greet(who):\n    return f"hello, {who}"\n'),
  'data/name.txt': strToU8('airlock\n'),
};

describe('runs from files', { timeout: 60_000 }, () => {
  it('a multi-file project from an uploaded zip runs with an entry (a package import, a data file)', async () => {
    const file = await upload('proj.zip', zipSync(project));
    const res = await runWait({ fileIds: [file.id], entry: 'app.py' });
    const run = await json<RunView>(res, 200);
    expect(run).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: 'hello, airlock\n', stderr: '' });
  });

  it('a tar.gz too, with nested directories kept under /work', async () => {
    const file = await upload(
      'proj.tar.gz',
      gzipSync(
        tar([
          { name: 'main.py', data: 'import os\nprint(sorted(os.listdir("a/b")))\n' },
          { name: 'a/b/c.txt', data: 'x' },
          { name: 'a/b/d.txt', data: 'y' },
        ]),
      ),
    );
    const run = await json<RunView>(await runWait({ fileIds: [file.id], entry: 'main.py' }), 200);
    expect(run).toMatchObject({ status: 'succeeded', stdout: "['c.txt', 'd.txt']\n" });
  });

  it('an uploaded data file is mounted next to inline code', async () => {
    const file = await upload('numbers.csv', '1\n2\n3\n');
    const code = 'print(sum(int(x) for x in open("numbers.csv")))';
    const run = await json<RunView>(await runWait({ code, fileIds: [file.id] }), 200);
    expect(run).toMatchObject({ status: 'succeeded', stdout: '6\n' });
  });

  it('a file larger than one WebSocket frame (4 MiB) arrives whole, chunked, digest intact', async () => {
    const bytes = new Uint8Array(6 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
    const file = await upload('blob.bin', bytes);
    const code =
      'import hashlib\nb = open("blob.bin", "rb").read()\nprint(len(b), hashlib.sha256(b).hexdigest())';
    const run = await json<RunView>(await runWait({ code, fileIds: [file.id] }), 200);
    expect(run).toMatchObject({ status: 'succeeded', stdout: `${bytes.length} ${file.sha256}\n` });
  });

  it('files that do not fit /work (RUN_TMPFS_MB) are refused with 400 before any run exists', async () => {
    // 300 small files: 300 tmpfs pages (1.2 MiB) against a 1 MiB /work.
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}.txt`, strToU8('x')]));
    const file = await upload('many.zip', zipSync({ ...many, 'main.py': strToU8('print(1)') }));
    const before = await runsOf(t.user.user.id);
    const res = await runWait({ fileIds: [file.id], entry: 'main.py' }, t.token, { RUN_TMPFS_MB: '1' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('files_too_large_for_run');
    expect(await runsOf(t.user.user.id)).toBe(before);
    // With the default /work it runs.
    expect((await json<RunView>(await runWait({ fileIds: [file.id], entry: 'main.py' }), 200)).stdout).toBe(
      '1\n',
    );
  });

  it("the hosts' advertised /work decides (the edge's RUN_TMPFS_MB only bounds it): no hand-kept copy", async () => {
    // A host whose /work is 1 MiB, with the edge left at its default 64 MiB.
    const small = await startExtraHost({ RUN_TMPFS_MB: '1' });
    try {
      const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}.txt`, strToU8('x')]));
      const file = await upload('many-small.zip', zipSync({ ...many, 'main.py': strToU8('print(1)') }));
      const before = await runsOf(t.user.user.id);
      const res = await runWait({ fileIds: [file.id], entry: 'main.py' }, t.token, hostsEnv(small));
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error).toMatchObject({ code: 'files_too_large_for_run', availableBytes: 1024 * 1024 });
      expect(await runsOf(t.user.user.id)).toBe(before);
      // What fits that host runs on it.
      const fits = await upload('few.zip', zipSync({ 'main.py': strToU8('print("fits")') }));
      const run = await json<RunView>(
        await runWait({ fileIds: [fits.id], entry: 'main.py' }, t.token, hostsEnv(small)),
        200,
      );
      expect(run).toMatchObject({ status: 'succeeded', stdout: 'fits\n' });
    } finally {
      await stopHost(small);
    }
  });

  it('the 256 KiB limit is for inline code only: a larger source file from an upload runs', async () => {
    const big = `x = 0\n${'x += 1\n'.repeat(50_000)}print(x)\n`;
    expect(big.length).toBeGreaterThan(256 * 1024);
    const file = await upload('big.zip', zipSync({ 'main.py': strToU8(big) }));
    const run = await json<RunView>(await runWait({ fileIds: [file.id], entry: 'main.py' }), 200);
    expect(run).toMatchObject({ status: 'succeeded', stdout: '50000\n' });
  });

  it("the entry must be one of the files; another tenant's file id is a 404; keys need files:read", async () => {
    const file = await upload('p.zip', zipSync(project));
    const missing = await runWait({ fileIds: [file.id], entry: 'nope.py' });
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).code).toBe('validation_failed');
    const noEntry = await runWait({ fileIds: [file.id] });
    expect(noEntry.status).toBe(400);

    const other = await tenant();
    const before = await runsOf(other.user.user.id);
    const stolen = await runWait({ fileIds: [file.id], entry: 'app.py' }, other.token);
    expect(stolen.status).toBe(404);
    expect(await stolen.text()).not.toContain('airlock');
    expect(await runsOf(other.user.user.id)).toBe(before);

    const runsOnly = await mintApiKey(t, { scopes: ['runs:write'] });
    const refused = await runWait({ fileIds: [file.id], entry: 'app.py' }, runsOnly.key);
    expect(refused.status).toBe(403);
    const both = await mintApiKey(t, { scopes: ['runs:write', 'files:read'] });
    expect(
      (await json<RunView>(await runWait({ fileIds: [file.id], entry: 'app.py' }, both.key), 200)).stdout,
    ).toBe('hello, airlock\n');
  });

  it('clients cannot send mounts themselves', async () => {
    const res = await runWait({
      code: 'print(1)',
      mounts: [{ id: crypto.randomUUID(), name: 'x', kind: 'file', size: 1, sha256: '0'.repeat(64) }],
    });
    expect(res.status).toBe(400);
  });

  it('a file deleted between run creation and dispatch ends the run file_missing; no host is blamed', async () => {
    const file = await upload('gone.zip', zipSync({ 'main.py': strToU8('print("never")') }));
    const hostId = harnessHostId();
    expect((await registryState()).backoffUntil[hostId]).toBeUndefined();
    // The row is still there (the run resolves its mounts), the object is not: the race, made certain.
    await env.FILES.delete(`orgs/${t.personalOrgId}/files/${file.id}`);
    const res = await runWait({ fileIds: [file.id], entry: 'main.py' });
    expect(res.status).toBe(409);
    const error = await errorOf(res);
    expect(error.code).toBe('file_missing');
    const runId = (error as unknown as { runId: string }).runId;
    const run = await json<RunView>(await worker(`/v1/runs/${runId}`, { headers: bearer(t.token) }), 200);
    expect(run).toMatchObject({ status: 'file_missing', stdout: '', exitCode: null });
    // The host did nothing wrong: it is not backed off, and the next run goes straight to it.
    expect((await registryState()).backoffUntil[hostId]).toBeUndefined();
    const next = await json<RunView>(await runWait({ code: 'print("fine")' }), 200);
    expect(next).toMatchObject({ status: 'succeeded', stdout: 'fine\n' });
  });

  // Last: a refused run puts the host in back-off for the rest of this file.
  it('a file changed in storage after upload fails its digest on the host and never runs', async () => {
    const file = await upload('main.zip', zipSync({ 'main.py': strToU8('print("original")') }));
    await env.FILES.put(
      `orgs/${t.personalOrgId}/files/${file.id}`,
      zipSync({ 'main.py': strToU8('print("tampered")') }),
    );
    const res = await runWait({ fileIds: [file.id], entry: 'main.py' });
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain('tampered');
  });
});
