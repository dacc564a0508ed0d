/**
 * A busy host is not a failed host (issue 10, item 3). A host that answers `error`/`capacity` is
 * healthy: it is not backed off, the run tries another host, waits up to RUN_BUSY_WAIT_MS for a place,
 * and otherwise answers 503 `sandbox_busy` with `Retry-After`, leaving no failed run in history.
 * Real sandbox hosts with a capacity of one run and no queue, filled by a real sleeping run.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HostState } from '../../src/domain/runs/host-selection.ts';
import type { HostRegistry } from '../../src/durable-objects/host-registry.ts';
import { errorOf, type RegisteredUser } from '../helpers.ts';
import {
  bearer,
  type ExtraHost,
  hostsEnv,
  type Overrides,
  postRun,
  type RunView,
  registerUser,
  requireHost,
  runAsync,
  startExtraHost,
  stopHost,
  type Watcher,
  watch,
  worker,
} from './support.ts';

const ONE_SLOT = { MAX_CONCURRENT_RUNS: '1', MAX_QUEUED_RUNS: '0' };
const PROBE = { language: 'python', code: 'print("probe")', wait: true };

async function registryState(): Promise<HostState> {
  const stub = env.HOST_REGISTRY.get(env.HOST_REGISTRY.idFromName('global'));
  return runInDurableObject(stub, (registry: HostRegistry) => registry.view());
}

/** Fills `host` with a run sleeping `seconds` and resolves once it has started. */
async function occupy(user: RegisteredUser, host: ExtraHost, seconds: number): Promise<Watcher> {
  const run = await runAsync(
    user,
    { language: 'python', code: `import time\ntime.sleep(${seconds})`, limits: { timeoutMs: 15_000 } },
    hostsEnv(host),
  );
  const watcher = await watch(run.streamUrl);
  await watcher.until((f) => f.type === 'started');
  return watcher;
}

async function finished(watcher: Watcher): Promise<string | undefined> {
  await watcher.closed;
  return watcher.frames.at(-1)?.result?.status;
}

describe('runs: a busy host is not a failed host', { timeout: 90_000 }, () => {
  let busy: ExtraHost;
  beforeAll(async () => {
    requireHost();
    busy = await startExtraHost(ONE_SLOT);
  });
  afterAll(async () => {
    if (busy) await stopHost(busy);
  });

  it('a host at capacity is not backed off (an unreachable one is)', async () => {
    const user = await registerUser();
    const holder = await occupy(user, busy, 6);
    const res = await postRun(user, PROBE, { ...hostsEnv(busy), RUN_BUSY_WAIT_MS: '300' } as Overrides);
    expect(res.status).toBe(503);
    expect((await registryState()).backoffUntil[busy.id]).toBeUndefined();

    // The control: the same registry does back off a host that cannot be reached.
    const dead = { id: `dead-${crypto.randomUUID().slice(0, 8)}`, url: 'ws://127.0.0.1:9' };
    const refused = await postRun(user, PROBE, hostsEnv(dead));
    expect((await errorOf(refused)).code).toBe('sandbox_unavailable');
    expect((await registryState()).backoffUntil[dead.id]).toBeGreaterThan(0);
    // Back-offs are stored (leases are not): a restarted registry still skips the failed host.
    const stub = env.HOST_REGISTRY.get(env.HOST_REGISTRY.idFromName('global'));
    const stored = await runInDurableObject(stub, (_r: HostRegistry, state) =>
      state.storage.kv.get<Record<string, number>>('backoffUntil'),
    );
    expect(stored?.[dead.id]).toBeGreaterThan(0);
    expect(await finished(holder)).toBe('succeeded');
  });

  it('a host in back-off that accepts a run is healthy again', async () => {
    const user = await registerUser();
    const stub = env.HOST_REGISTRY.get(env.HOST_REGISTRY.idFromName('global'));
    // Every host in back-off is still tried (selectHost): this one takes the run and is cleared.
    await runInDurableObject(stub, (registry: HostRegistry) => registry.report(busy.id, false, Date.now()));
    expect((await registryState()).backoffUntil[busy.id]).toBeGreaterThan(Date.now());
    const res = await postRun(user, PROBE, hostsEnv(busy));
    expect(res.status).toBe(200);
    // Cleared off the request path (the run does not wait for it): poll the registry for it.
    await vi.waitFor(async () => expect((await registryState()).backoffUntil[busy.id]).toBeUndefined(), {
      timeout: 10_000,
    });
  });

  it('busy, with a second host → the run goes to the second host', async () => {
    const free = await startExtraHost();
    try {
      const user = await registerUser();
      // Equal load on both, so the busy host, listed first, is the one tried first.
      const holder = await occupy(user, busy, 6);
      const neighbour = await occupy(user, free, 6);
      const state = await registryState();
      const leases = Object.values(state.leases).map((l) => l.hostId);
      expect(leases.filter((h) => h === busy.id)).toHaveLength(1);
      expect(leases.filter((h) => h === free.id)).toHaveLength(1);

      const res = await postRun(user, PROBE, hostsEnv(busy, free));
      expect(res.status).toBe(200);
      const run = (await res.json()) as RunView;
      expect(run).toMatchObject({ status: 'succeeded', stdout: 'probe\n' });
      const row = await env.DB.prepare('SELECT host_id FROM runs WHERE id = ?').bind(run.id).first();
      expect(row?.host_id).toBe(free.id);
      expect((await registryState()).backoffUntil[busy.id]).toBeUndefined();
      expect(await finished(neighbour)).toBe('succeeded');
      expect(await finished(holder)).toBe('succeeded');
    } finally {
      await stopHost(free);
    }
  });

  it('waits up to RUN_BUSY_WAIT_MS for a place: a slot freed meanwhile takes the run', async () => {
    const user = await registerUser();
    const holder = await occupy(user, busy, 1);
    const res = await postRun(user, PROBE, { ...hostsEnv(busy), RUN_BUSY_WAIT_MS: '10000' } as Overrides);
    expect(res.status).toBe(200);
    const run = (await res.json()) as RunView;
    expect(run.status).toBe('succeeded');
    // Order, not time: the probe started only after the holder had ended.
    await holder.closed;
    const holderExit = holder.frames.at(-1)?.result;
    expect(holderExit?.status).toBe('succeeded');
    expect(Date.parse(run.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(holderExit?.finishedAt ?? ''));
  });

  it('a single busy host → 503 sandbox_busy with Retry-After, and no failed run in history', async () => {
    const user = await registerUser();
    const holder = await occupy(user, busy, 6);
    const res = await postRun(user, PROBE, { ...hostsEnv(busy), RUN_BUSY_WAIT_MS: '300' } as Overrides);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect((await errorOf(res)).code).toBe('sandbox_busy');

    const list = await worker('/v1/runs', { headers: bearer(user) });
    const { runs } = (await list.json()) as { runs: RunView[] };
    // Only the holder: the refused run left nothing behind (no sandbox_unavailable, no queued row).
    expect(runs.map((r) => r.id)).toEqual([holder.frames[0]?.runId]);
    expect(runs.some((r) => r.status === 'sandbox_unavailable')).toBe(false);
    expect(await finished(holder)).toBe('succeeded');
  });
});
