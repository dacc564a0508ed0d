/**
 * The warm pool against the real engine: runs that find it empty come before its refills
 * (runner/pool.ts), and a run kept from the reserve does not hold the refills back.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../src/docker/sandbox.ts';
import { SandboxUids } from '../src/docker/sandbox-uids.ts';
import { python } from '../src/images/manifests/python.ts';
import { WarmPool } from '../src/runner/pool.ts';
import { containersOf, docker, SANDBOX_LIMITS, testRuntime, uniqueId, waitFor } from './support.ts';

const open: Array<{ pool: WarmPool; hostId: string; taken: Sandbox[] }> = [];

function pool(targetSize: number, refillDelayMs: number): { pool: WarmPool; taken: Sandbox[] } {
  const hostId = uniqueId('pool');
  const p = new WarmPool({
    docker,
    logger: pino({ level: 'silent' }),
    hostId,
    instanceId: 'test',
    manifests: [python],
    warmLanguages: ['python'],
    targetSize,
    refillConcurrency: 2,
    refillDelayMs,
    limitsFor: () => ({ ...SANDBOX_LIMITS, runtime: testRuntime() }),
    uids: new SandboxUids(undefined),
  });
  const entry = { pool: p, hostId, taken: [] as Sandbox[] };
  open.push(entry);
  p.start();
  return entry;
}

/** The most refills the pool had under way at any moment while `work` ran (sampled every 5 ms). */
async function refillsDuring<T>(p: WarmPool, work: Promise<T>): Promise<{ value: T; refills: number }> {
  let refills = p.creating;
  const poll = setInterval(() => {
    refills = Math.max(refills, p.creating);
  }, 5);
  try {
    const value = await work;
    return { value, refills: Math.max(refills, p.creating) };
  } finally {
    clearInterval(poll);
  }
}

afterEach(async () => {
  for (const { pool: p, hostId, taken } of open.splice(0)) {
    await p.close();
    await Promise.all(taken.map((s) => s.destroy()));
    expect(await containersOf(hostId)).toEqual([]);
  }
});

describe('warm pool order', () => {
  it('starts no refill while runs wait for containers created on the spot', async () => {
    const { pool: p, taken } = pool(1, 0);
    await waitFor(() => p.size('python') === 1 || undefined, 'the pool to fill');
    const first = await p.acquire(python);
    taken.push(first.sandbox);
    expect(first.warm).toBe(true);
    // The refill is due at once (delay 0); these two find the pool empty and have theirs created.
    const { value, refills } = await refillsDuring(p, Promise.all([p.acquire(python), p.acquire(python)]));
    taken.push(...value.map((v) => v.sandbox));
    expect(value.map((v) => v.warm)).toEqual([false, false]);
    expect(refills).toBe(0);
    // Then the pool fills again.
    await waitFor(() => p.size('python') === 1 || undefined, 'the pool to refill');
  });

  it('after such runs, holds the refills back one refill delay for each of their containers', async () => {
    const delayMs = 400;
    const { pool: p, taken } = pool(1, delayMs);
    await waitFor(() => p.size('python') === 1 || undefined, 'the pool to fill');
    taken.push((await p.acquire(python)).sandbox);
    const cold = await Promise.all([p.acquire(python), p.acquire(python)]);
    const servedAt = Date.now();
    taken.push(...cold.map((c) => c.sandbox));
    await waitFor(() => p.creating > 0 || p.size('python') > 0 || undefined, 'a refill to start');
    // A lower bound only: timers never fire early (the slack covers the moment between the pool's
    // clock reading and this one).
    expect(Date.now() - servedAt).toBeGreaterThanOrEqual(2 * delayMs - 50);
  });

  it('refills while a run kept from the reserve waits for its own container', async () => {
    const { pool: p, taken } = pool(2, 0);
    await waitFor(() => p.size('python') === 2 || undefined, 'the pool to fill');
    taken.push((await p.acquire(python)).sandbox);
    // One warm container is left, and this run must leave it (a long organization's, keep = 1).
    const { value, refills } = await refillsDuring(p, p.acquire(python, 1));
    taken.push(value.sandbox);
    expect(value.warm).toBe(false);
    expect(refills).toBeGreaterThan(0);
  });
});
