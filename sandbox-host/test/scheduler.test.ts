/** The fair scheduler, pure: budgets instead of cores, per-organization share, fair order, bounded queues. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { defaultBudgets } from '../src/machine.ts';
import type { SchedulerBudget, Ticket } from '../src/runner/scheduler.ts';
import { FairScheduler } from '../src/runner/scheduler.ts';

const RUN = { memoryMb: 256, pids: 100 };
const budget = (b: Partial<SchedulerBudget> = {}): SchedulerBudget => ({
  memoryMb: 256 * 64,
  pids: 100 * 64,
  maxRunning: 64,
  orgShare: 0.5,
  maxQueued: 100,
  maxQueuedPerOrg: 50,
  ...b,
});

/** Offers a run and returns its ticket (expects it to be admitted or queued). */
function offer(s: FairScheduler<string>, org: string, item: string, cost = RUN): Ticket<string> {
  const o = s.offer(org, cost, item);
  if (o.decision === 'reject') throw new Error(`${item} rejected`);
  return o.ticket;
}

describe('FairScheduler: admission by budget', () => {
  it('admits far more runs than a 2-core machine has cores while memory and processes allow', () => {
    const s = new FairScheduler<string>(budget({ orgShare: 1 }));
    for (let i = 0; i < 20; i++) expect(s.offer(`org${i}`, RUN, `r${i}`).decision).toBe('run');
    expect(s.snapshot()).toMatchObject({ running: 20, queued: 0, memoryMb: 20 * 256, pids: 2000 });
  });

  it('queues once the memory budget is spent', () => {
    const s = new FairScheduler<string>(budget({ memoryMb: 512, orgShare: 1 }));
    expect(s.offer('a', RUN, 'a1').decision).toBe('run');
    expect(s.offer('b', RUN, 'b1').decision).toBe('run');
    expect(s.offer('c', RUN, 'c1').decision).toBe('queue');
    // A smaller run would fit, but the waiting one came first and is held by the budget.
    expect(s.offer('d', { memoryMb: 16, pids: 1 }, 'd1').decision).toBe('queue');
  });

  it('queues once the process budget is spent, and at the absolute cap', () => {
    const byPids = new FairScheduler<string>(budget({ pids: 250, orgShare: 1 }));
    expect(byPids.offer('a', RUN, 'a1').decision).toBe('run');
    expect(byPids.offer('b', RUN, 'b1').decision).toBe('run');
    expect(byPids.offer('c', RUN, 'c1').decision).toBe('queue');
    const byCount = new FairScheduler<string>(budget({ maxRunning: 1, orgShare: 1 }));
    expect(byCount.offer('a', RUN, 'a1').decision).toBe('run');
    expect(byCount.offer('b', RUN, 'b1').decision).toBe('queue');
  });

  it('refuses a run larger than the whole budget instead of letting it block the queue', () => {
    const s = new FairScheduler<string>(budget({ memoryMb: 128 }));
    expect(s.offer('a', RUN, 'a1').decision).toBe('reject');
  });
});

describe('FairScheduler: one organization holds at most its share', () => {
  it('caps an organization at HOST_ORG_SHARE of the budget and lets others in at once', () => {
    const s = new FairScheduler<string>(budget({ maxRunning: 8, orgShare: 0.5 }));
    const decisions = Array.from({ length: 10 }, (_, i) => s.offer('a', RUN, `a${i}`).decision);
    expect(decisions.filter((d) => d === 'run')).toHaveLength(4);
    expect(decisions.filter((d) => d === 'queue')).toHaveLength(6);
    // Org B is not behind A's backlog: A's waiting runs are held by A's share, not by the host.
    expect(s.offer('b', RUN, 'b1').decision).toBe('run');
    expect(s.snapshot()).toMatchObject({ running: 5, queued: 6, orgs: 2 });
  });

  it('applies the share to memory and processes too', () => {
    const s = new FairScheduler<string>(budget({ memoryMb: 1024, orgShare: 0.5 }));
    expect(s.offer('a', RUN, 'a1').decision).toBe('run');
    expect(s.offer('a', RUN, 'a2').decision).toBe('run');
    expect(s.offer('a', RUN, 'a3').decision).toBe('queue');
    const p = new FairScheduler<string>(budget({ pids: 400, orgShare: 0.5 }));
    expect(p.offer('a', RUN, 'a1').decision).toBe('run');
    expect(p.offer('a', RUN, 'a2').decision).toBe('run');
    expect(p.offer('a', RUN, 'a3').decision).toBe('queue');
  });

  it('always lets an organization hold one run, however small its share', () => {
    const s = new FairScheduler<string>(budget({ maxRunning: 2, orgShare: 0.1 }));
    expect(s.offer('a', RUN, 'a1').decision).toBe('run');
    expect(s.offer('a', RUN, 'a2').decision).toBe('queue');
  });
});

describe('FairScheduler: fair order when the host is full', () => {
  it('serves the organization with the fewest runs first, not the one that queued first', () => {
    const s = new FairScheduler<string>(budget({ maxRunning: 2, orgShare: 1 }));
    const a1 = offer(s, 'a', 'a1');
    offer(s, 'a', 'a2');
    for (let i = 3; i <= 8; i++) offer(s, 'a', `a${i}`);
    offer(s, 'b', 'b1');
    expect(s.snapshot()).toMatchObject({ running: 2, queued: 7 });
    // The first place that frees up goes to B, although six of A's runs queued before it.
    expect(s.release(a1).map((t) => t.item)).toEqual(['b1']);
  });

  it('round-robins across organizations and keeps each one FIFO', () => {
    const s = new FairScheduler<string>(budget({ maxRunning: 1, orgShare: 1 }));
    let current = offer(s, 'x', 'x0');
    for (const item of ['a1', 'a2', 'a3']) offer(s, 'a', item);
    for (const item of ['b1', 'b2']) offer(s, 'b', item);
    offer(s, 'c', 'c1');
    const order: string[] = [];
    for (;;) {
      const started = s.release(current);
      if (started.length === 0) break;
      expect(started).toHaveLength(1);
      current = started[0] as Ticket<string>;
      order.push(current.item);
    }
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  });

  it('starts several waiting runs when one release frees room for them', () => {
    const s = new FairScheduler<string>(budget({ memoryMb: 512, orgShare: 1 }));
    const big = offer(s, 'a', 'big', { memoryMb: 512, pids: 1 });
    offer(s, 'b', 'b1');
    offer(s, 'c', 'c1');
    expect(s.release(big).map((t) => t.item)).toEqual(['b1', 'c1']);
  });

  it('withdraws a cancelled waiting run', () => {
    const s = new FairScheduler<string>(budget({ maxRunning: 1, orgShare: 1 }));
    const a1 = offer(s, 'a', 'a1');
    const b1 = offer(s, 'b', 'b1');
    expect(s.withdraw(b1)).toBe(true);
    expect(s.withdraw(b1)).toBe(false);
    expect(s.release(a1)).toEqual([]);
    expect(s.snapshot()).toMatchObject({ running: 0, queued: 0, orgs: 0 });
  });
});

describe('FairScheduler: bounded queues', () => {
  it('refuses beyond the per-organization queue, leaving room for others', () => {
    const s = new FairScheduler<string>(budget({ maxRunning: 1, orgShare: 1, maxQueuedPerOrg: 2 }));
    offer(s, 'a', 'a0');
    expect(s.offer('a', RUN, 'a1').decision).toBe('queue');
    expect(s.offer('a', RUN, 'a2').decision).toBe('queue');
    expect(s.offer('a', RUN, 'a3').decision).toBe('reject');
    expect(s.offer('b', RUN, 'b1').decision).toBe('queue');
    expect(s.wouldAccept('a', RUN)).toBe(false);
    expect(s.wouldAccept('c', RUN)).toBe(true);
  });

  it('refuses beyond the total queue', () => {
    const s = new FairScheduler<string>(budget({ maxRunning: 1, orgShare: 1, maxQueued: 2 }));
    offer(s, 'a', 'a0');
    expect(s.offer('b', RUN, 'b1').decision).toBe('queue');
    expect(s.offer('c', RUN, 'c1').decision).toBe('queue');
    expect(s.offer('d', RUN, 'd1').decision).toBe('reject');
    expect(s.snapshot().queued).toBe(2);
  });

  it('with no queue at all, refuses as soon as the budget is spent', () => {
    const s = new FairScheduler<string>(budget({ maxRunning: 1, orgShare: 1, maxQueued: 0 }));
    expect(s.offer('a', RUN, 'a1').decision).toBe('run');
    expect(s.offer('b', RUN, 'b1').decision).toBe('reject');
  });
});

describe('admission settings', () => {
  const machine = { totalMemoryMb: 24 * 1024, maxTasks: 32_768, cpuCores: 2 };
  const env = { EDGE_PUBLIC_JWK: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'x'.repeat(43) }) };

  it('derives the budgets from the machine, not from its cores', () => {
    const parsed = parseConfig(env, machine);
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    expect(parsed.config).toMatchObject({
      memoryBudgetMb: 24 * 1024 - Math.ceil(24 * 1024 * 0.1),
      pidsBudget: 16_384,
      maxConcurrentRuns: 64,
      orgShare: 0.5,
      maxQueuedRuns: 128,
      maxQueuedPerOrg: 32,
    });
    // A small machine keeps at least a gigabyte for itself.
    expect(defaultBudgets({ totalMemoryMb: 4096, maxTasks: 1000, cpuCores: 1 })).toEqual({
      memoryMb: 3072,
      pids: 500,
    });
  });

  it('takes overrides and refuses budgets that cannot hold one run', () => {
    const parsed = parseConfig(
      { ...env, HOST_MEMORY_BUDGET_MB: '2048', HOST_PIDS_BUDGET: '500', HOST_ORG_SHARE: '0.25' },
      machine,
    );
    expect(parsed.ok && parsed.config).toMatchObject({
      memoryBudgetMb: 2048,
      pidsBudget: 500,
      orgShare: 0.25,
    });
    const tooSmall = parseConfig({ ...env, HOST_MEMORY_BUDGET_MB: '128' }, machine);
    expect(tooSmall.ok).toBe(false);
    expect(parseConfig({ ...env, HOST_ORG_SHARE: '0' }, machine).ok).toBe(false);
    expect(parseConfig({ ...env, HOST_ORG_SHARE: '1.5' }, machine).ok).toBe(false);
  });
});
