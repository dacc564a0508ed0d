/** The host's HTTP surface: health, readiness, runtimes, metrics, and 404 for anything else. */
import { HostRuntimesSchema } from '@airlock/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifests } from '../src/images/manifests/index.ts';
import type { TestHost } from './support.ts';
import { connect, runOnHost, startTestHost, UpgradeRefused, uniqueId, waitFor } from './support.ts';

let h: TestHost;

beforeAll(async () => {
  h = await startTestHost({ POOL_SIZE: '1', POOL_LANGUAGES: 'bash' });
});

afterAll(async () => {
  await h.close();
});

describe('HTTP', () => {
  it('answers /healthz', async () => {
    const res = await fetch(`${h.http}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('is ready with the engine, images and capacity', async () => {
    const res = await fetch(`${h.http}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ready: true,
      checks: { engine: true, images: true, capacity: true, accepting: true },
    });
  });

  it('lists every installed runtime with its version and limits', async () => {
    const raw: unknown = await (await fetch(`${h.http}/runtimes`)).json();
    // Exactly the protocol's shape, the one the edge parses answers with: nothing missing, nothing extra.
    const body = HostRuntimesSchema.parse(raw);
    expect(body).toEqual(raw);
    expect(body.runtimes.map((r) => r.language).sort()).toEqual(manifests.map((m) => m.language).sort());
    const python = body.runtimes.find((r) => r.language === 'python');
    expect(python?.version).toMatch(/^Python 3\.\d+/);
    expect(python?.limits).toMatchObject({
      maxTimeoutMs: 15_000,
      maxMemoryMb: 256,
      maxOutputBytes: 1_048_576,
    });
    // /work's size (RUN_TMPFS_MB, 64 MiB by default): the edge refuses files that do not fit it.
    expect(body.workBytes).toBe(64 * 1024 * 1024);
  });

  it('exposes Prometheus metrics for runs, pool and queue', async () => {
    await waitFor(() => (h.host.pool.size('bash') === 1 ? true : undefined), 'the pool');
    await runOnHost(h, { language: 'bash', code: 'exit 2' });
    const text = await (await fetch(`${h.http}/metrics`)).text();
    expect(text).toMatch(/airlock_runs_total\{language="bash",status="failed"\} 1/);
    expect(text).toMatch(/airlock_run_duration_seconds_count\{language="bash",warm="true"\} 1/);
    expect(text).toMatch(/airlock_pool_size\{language="bash"\} \d/);
    expect(text).toMatch(/airlock_queue_depth 0/);
  });

  it('counts refused tokens by reason', async () => {
    await connect(h.url, 'not-a-jwt').catch((err: unknown) => {
      expect(err).toBeInstanceOf(UpgradeRefused);
    });
    const text = await (await fetch(`${h.http}/metrics`)).text();
    expect(text).toMatch(/airlock_token_rejections_total\{reason="malformed"\} 1/);
  });

  it('answers unknown paths and upgrade paths with 404', async () => {
    expect((await fetch(`${h.http}/nope`)).status).toBe(404);
    const token = await h.token({ runId: uniqueId('run'), request: { language: 'bash', code: '' } });
    const refused = await connect(h.url.replace('/run', '/other'), token).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect((refused as UpgradeRefused).status).toBe(404);
  });

  it('refuses new sockets once shut down', async () => {
    await h.host.shutdown();
    const token = await h.token({ runId: uniqueId('run'), request: { language: 'bash', code: '' } });
    await expect(connect(h.url, token)).rejects.toBeDefined();
  });
});
