/**
 * The production sandbox host (issue 11, item 5): the steps docs/sandbox-host.md and the compose file
 * give — build the host image without a registry, then `docker-compose -f docker-compose.sandbox.yml up`
 * — with one change: the host's network namespace on loopback instead of the port mapping (the engine
 * here runs without a bridge). The host must come up healthy in that locked-down container, run a real
 * sandbox through the mounted engine socket, and account for it from the mounted cgroup tree.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupLayout } from '../src/docker/cgroup.ts';
import { HOST_IMAGE } from '../src/images/host-image.ts';
import { docker, type KeyPair, makeKeys, mintToken, runOnHost, uniqueId, waitFor } from './support.ts';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.on('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? res(address.port) : rej(new Error('no port')),
      );
    });
  });
}

describe('the sandbox host image, started with the compose file', () => {
  const hostId = uniqueId('compose');
  const project = hostId.replaceAll('-', '');
  let keys: KeyPair;
  let port: number;
  let dir: string;
  let compose: (...args: string[]) => Promise<{ stdout: string; stderr: string }>;

  beforeAll(async () => {
    // Production step 2b, as documented.
    await run('node', ['sandbox-host/src/images/cli.ts', 'build-host'], {
      cwd: repoRoot,
      maxBuffer: 64 * MiB,
    });
    keys = await makeKeys();
    port = await freePort();
    dir = await mkdtemp(join(tmpdir(), 'airlock-compose-'));
    // The one deviation from the compose file: the host's network on loopback instead of `ports` (which
    // the host network refuses, and an override file cannot remove). One warm python container keeps the
    // test light on a shared machine; POOL_SIZE is a deploy-time variable of the compose file anyway.
    const base = await readFile(join(repoRoot, 'docker-compose.sandbox.yml'), 'utf8');
    const withoutPorts = base.replace(/^ {4}ports:\n(?: {6}- .*\n)+/m, '');
    expect(withoutPorts).not.toBe(base);
    await writeFile(join(dir, 'docker-compose.sandbox.yml'), withoutPorts);
    await writeFile(
      join(dir, 'loopback.yml'),
      [
        'version: "3.8"',
        'services:',
        '  sandbox-host:',
        '    network_mode: host',
        '    environment:',
        '      HOST: 127.0.0.1',
        `      PORT: "${port}"`,
        '      POOL_LANGUAGES: python',
        '',
      ].join('\n'),
    );
    const env = {
      ...process.env,
      HOST_ID: hostId,
      EDGE_PUBLIC_JWK: JSON.stringify(keys.publicJwk),
      POOL_SIZE: '1',
    };
    compose = (...args) =>
      run(
        'docker-compose',
        [
          '-p',
          project,
          '-f',
          join(dir, 'docker-compose.sandbox.yml'),
          '-f',
          join(dir, 'loopback.yml'),
          ...args,
        ],
        { cwd: repoRoot, env, maxBuffer: 16 * MiB },
      );
    // Production step 3.
    await compose('up', '-d');
  }, 600_000);

  afterAll(async () => {
    await compose?.('down', '--timeout', '40').catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  async function hostContainer() {
    const [c] = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${project}`] },
    });
    if (!c) throw new Error('the compose project has no container');
    return docker.getContainer(c.Id);
  }

  it('is healthy and ready, reading this machine’s cgroup layout', async () => {
    const http = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => (await fetch(`${http}/healthz`).catch(() => null))?.ok || undefined,
      'healthz',
      60_000,
    );
    const ready = await waitFor(
      async () => {
        const res = await fetch(`${http}/readyz`).catch(() => null);
        return res?.ok ? ((await res.json()) as { cgroup: string; runtime: string }) : undefined;
      },
      'readyz',
      60_000,
    );
    expect(ready.cgroup).toBe(await detectCgroupLayout('/sys/fs/cgroup'));
    expect(ready.runtime).toBe('runc');
  }, 150_000);

  it('runs a sandbox through the mounted engine socket, with its accounting', async () => {
    const url = `ws://127.0.0.1:${port}/run`;
    const out = await runOnHost(
      { url, token: (o) => mintToken(keys.privateKey, hostId, o) },
      {
        language: 'python',
        code: 'b = bytearray(64 * 1024 * 1024)\nsum(range(3_000_000))\nprint("from the container host")',
        stdin: '',
        args: [],
      },
    );
    expect(out.error).toBeUndefined();
    expect(out.result?.status).toBe('succeeded');
    expect(out.streamed.stdout).toBe('from the container host\n');
    // CPU time and the peak come from the cgroup tree mounted into the host's container.
    expect(out.result?.cpuMs).toBeGreaterThan(0);
    expect(out.result?.peakMemoryBytes).toBeGreaterThanOrEqual(64 * MiB);
  }, 120_000);

  it('runs with the compose file’s lock-down, a writable cgroup tree and only production code', async () => {
    const container = await hostContainer();
    const info = await container.inspect();
    expect(info.Config.Image).toBe(HOST_IMAGE);
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(info.HostConfig.Memory).toBe(512 * MiB);
    expect(info.HostConfig.PidsLimit).toBe(256);
    expect(info.HostConfig.NetworkMode).toBe('host');
    const cgroupMount = info.Mounts.find((m) => m.Destination === '/sys/fs/cgroup');
    expect(cgroupMount?.RW).toBe(true);
    const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
    expect(logs).toContain('sandbox host listening');
    expect(logs).not.toContain('cgroup tree not writable');

    const { stdout: modules } = await run('docker', ['exec', info.Id, 'ls', '/app/node_modules']);
    const names = modules.split('\n');
    expect(names).toContain('dockerode');
    for (const dev of ['wrangler', 'workerd', 'vitest', 'typescript', '@biomejs'])
      expect(names).not.toContain(dev);
    const image = await docker.getImage(HOST_IMAGE).inspect();
    expect(image.Size).toBeLessThan(400 * 1_000_000);
  }, 60_000);
});
