/**
 * Operations (seed 001 "Operational Security"): orphan cleanup after a crash, SIGTERM drain of the real
 * process, pool refill, configuration validation, the production compose file.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONTAINER_LABELS } from '../src/docker/profile.ts';
import { RUN_PATH } from '../src/host.ts';
import { imageName } from '../src/images/builder.ts';
import type { KeyPair } from './support.ts';
import {
  connect,
  containersOf,
  docker,
  makeKeys,
  mintToken,
  runOnHost,
  startTestHost,
  testRuntime,
  uniqueId,
  waitFor,
} from './support.ts';

const here = dirname(fileURLToPath(import.meta.url));
const mainTs = join(here, '../src/main.ts');
const repoRoot = join(here, '../..');

async function plantContainer(labels: Record<string, string>): Promise<string> {
  const c = await docker.createContainer({
    Image: imageName('bash'),
    Cmd: ['sleep', '300'],
    NetworkDisabled: true,
    Labels: labels,
  });
  await c.start();
  return c.id;
}

async function exists(id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch {
    return false;
  }
}

describe('orphan cleanup', () => {
  it('removes containers a crashed host left behind, and only those', async () => {
    const hostId = uniqueId('crashed');
    const orphan = await plantContainer({
      [CONTAINER_LABELS.managed]: 'true',
      [CONTAINER_LABELS.host]: hostId,
      [CONTAINER_LABELS.instance]: 'dead-process',
    });
    const foreign = await plantContainer({
      [CONTAINER_LABELS.managed]: 'true',
      [CONTAINER_LABELS.host]: uniqueId('other'),
    });
    try {
      expect(await exists(orphan)).toBe(true);
      const h = await startTestHost({ HOST_ID: hostId });
      try {
        expect(await exists(orphan)).toBe(false);
        expect(await exists(foreign)).toBe(true);
      } finally {
        await h.close();
      }
    } finally {
      await docker
        .getContainer(orphan)
        .remove({ force: true })
        .catch(() => undefined);
      await docker
        .getContainer(foreign)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  it('sweeps periodically while running', async () => {
    const h = await startTestHost({ ORPHAN_SWEEP_INTERVAL_MS: '1000' });
    const orphan = await plantContainer({
      [CONTAINER_LABELS.managed]: 'true',
      [CONTAINER_LABELS.host]: h.hostId,
      [CONTAINER_LABELS.instance]: 'dead-process',
    });
    try {
      await waitFor(async () => ((await exists(orphan)) ? undefined : true), 'the periodic sweep');
    } finally {
      await docker
        .getContainer(orphan)
        .remove({ force: true })
        .catch(() => undefined);
      await h.close();
    }
  });
});

describe('warm pool', () => {
  it('hands out a pre-started container and refills after use', async () => {
    const h = await startTestHost({ POOL_SIZE: '1', POOL_LANGUAGES: 'python' });
    try {
      const [first] = await waitFor(() => {
        const ids = h.host.pool.idleContainerIds();
        return ids.length === 1 ? ids : undefined;
      }, 'the pool to fill');
      const out = await runOnHost(h, { language: 'python', code: 'print("ok")' });
      expect(out.result?.status).toBe('succeeded');
      // The warm container served the run and was destroyed; a new one took its place.
      await waitFor(async () => ((await exists(first ?? '')) ? undefined : true), 'the used container to go');
      const [second] = await waitFor(() => {
        const ids = h.host.pool.idleContainerIds();
        return ids.length === 1 ? ids : undefined;
      }, 'the pool to refill');
      expect(second).not.toBe(first);
      expect(await exists(second ?? '')).toBe(true);
    } finally {
      await h.close();
    }
    expect(await containersOf(h.hostId)).toEqual([]);
  });
});

interface Child {
  proc: ChildProcess;
  port: Promise<number>;
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

function spawnHost(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [mainTs], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let resolvePort: (p: number) => void = () => undefined;
  const port = new Promise<number>((r) => {
    resolvePort = r;
  });
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /"port":(\d+)[^\n]*"msg":"sandbox host listening"/.exec(out);
    if (m?.[1]) resolvePort(Number(m[1]));
  });
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, port, exit, stdout: () => out, stderr: () => err };
}

async function hostEnv(keys: KeyPair, hostId: string, extra: Record<string, string> = {}) {
  return {
    HOST_ID: hostId,
    PORT: '0',
    EDGE_PUBLIC_JWK: JSON.stringify(keys.publicJwk),
    POOL_SIZE: '1',
    POOL_LANGUAGES: 'python',
    SANDBOX_RUNTIME: testRuntime(),
    ...extra,
  };
}

describe('SIGTERM', () => {
  /** A host with a run that has written its first line, then SIGTERM: the run's exit and the host's. */
  async function terminateDuringRun(code: string, extraEnv: Record<string, string> = {}) {
    const keys = await makeKeys();
    const hostId = uniqueId('drain');
    const child = spawnHost(await hostEnv(keys, hostId, extraEnv));
    const port = await child.port;
    const request = { language: 'python', code };
    const runId = uniqueId('run');
    const s = await connect(
      `ws://127.0.0.1:${port}${RUN_PATH}`,
      await mintToken(keys.privateKey, hostId, { runId, request }),
    );
    s.send({ type: 'run', runId, request });
    await s.next('stdout');
    child.proc.kill('SIGTERM');
    return { exit: await s.next('exit'), code: await child.exit, left: await containersOf(hostId) };
  }

  it('lets an in-flight run finish, then exits 0 with no containers left', async () => {
    const end = await terminateDuringRun(
      'import sys, time\nsys.stdout.write("working\\n")\ntime.sleep(1.5)\nprint("done")',
    );
    expect(end.exit).toMatchObject({ result: { status: 'succeeded', stdout: 'working\ndone\n' } });
    expect(end.code).toBe(0);
    expect(end.left).toEqual([]);
  });

  it('cancels runs still going at the drain deadline, then exits 0', async () => {
    const end = await terminateDuringRun('import sys, time\nsys.stdout.write("working\\n")\ntime.sleep(10)', {
      DRAIN_TIMEOUT_MS: '500',
    });
    expect(end.exit).toMatchObject({ result: { status: 'cancelled', stdout: 'working\n' } });
    expect(end.code).toBe(0);
    expect(end.left).toEqual([]);
  });
});

describe('configuration', () => {
  const run = (env: Record<string, string>) => {
    const child = spawnHost(env);
    return child.exit.then((code) => ({ code, stderr: child.stderr() }));
  };

  it('refuses to start without the edge public key', async () => {
    const { code, stderr } = await run({ HOST_ID: uniqueId('cfg') });
    expect(code).toBe(1);
    expect(stderr).toContain('EDGE_PUBLIC_JWK is required');
  });

  it('refuses a private key, a bad number and a bad host id, naming each variable', async () => {
    const keys = await makeKeys();
    const { code, stderr } = await run({
      EDGE_PUBLIC_JWK: JSON.stringify({ ...keys.publicJwk, d: 'secret-part' }),
      PORT: 'eighty',
      HOST_ID: 'bad host id',
      RUN_MAX_TIMEOUT_MS: '999999',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('EDGE_PUBLIC_JWK: must be the PUBLIC key');
    expect(stderr).toMatch(/PORT: /);
    expect(stderr).toMatch(/HOST_ID: /);
    expect(stderr).toMatch(/RUN_MAX_TIMEOUT_MS: /);
    expect(stderr).not.toContain('secret-part');
  });
});

describe('docker-compose.sandbox.yml', () => {
  it('is a valid compose file', async () => {
    const { stdout } = await promisify(execFile)(
      'docker-compose',
      ['-f', join(repoRoot, 'docker-compose.sandbox.yml'), 'config'],
      {
        env: { ...process.env, EDGE_PUBLIC_JWK: '{"kty":"OKP"}' },
      },
    );
    expect(stdout).toContain('sandbox-host');
  });
});
