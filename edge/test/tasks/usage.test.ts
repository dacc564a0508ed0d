/**
 * GET /v1/usage (issue 13): the caller's runs, CPU seconds, tasks and task tokens this UTC month in
 * the organization they act in, and what remains of each limit: the organization's monthly token
 * cap, the run and task creation rates, the API rate and the caps on runs in progress.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { utcMonth } from '../../src/domain/usage/month.ts';
import { jsonInit } from '../helpers.ts';
import { bearer, worker } from '../runs/support.ts';
import { as, createOrg, json, type Tenant, tenant } from '../tenancy/fixtures.ts';
import { scriptedTask } from './support.ts';

interface Usage {
  period: { from: string; to: string };
  orgId: string;
  usage: { runs: number; cpuSeconds: number; tasks: number; inputTokens: number; outputTokens: number };
  limits: {
    monthlyTokens: {
      scope: string;
      limit: number | null;
      used: number;
      remaining: number | null;
      resetsAt: string;
    };
    runsPerWindow: { limit: number; windowSeconds: number; remaining: number; resetsAt: string | null };
    outputPerWindow: {
      scope: string;
      limit: number;
      windowSeconds: number;
      used: number;
      remaining: number;
      resetsAt: string | null;
    };
    tasksPerWindow: { limit: number; windowSeconds: number; remaining: number; resetsAt: string | null };
    apiRequestsPerWindow: { limit: number; remaining: number };
    runsInProgress: {
      organization: { limit: number; inProgress: number; remaining: number };
      user: { limit: number; inProgress: number; remaining: number };
    };
  };
}

async function freshTenant(): Promise<Tenant> {
  if (env.RUNS_HOST_ERROR) throw new Error(env.RUNS_HOST_ERROR);
  return tenant();
}

const usageOf = async (token: string, orgId?: string) =>
  json<Usage>(await as({ token, orgId }, '/v1/usage'), 200);

async function task(t: Tenant, orgId?: string): Promise<{ id: string; tokens: number }> {
  const { id, end } = await scriptedTask(t.token, orgId);
  return { id, tokens: (end?.inputTokens ?? 0) + (end?.outputTokens ?? 0) };
}

describe('GET /v1/usage', { timeout: 60_000 }, () => {
  it('a new user: nothing used, every limit whole, this UTC month', async () => {
    const t = await freshTenant();
    const u = await usageOf(t.token);
    const month = utcMonth(Date.now());
    expect(u.period).toEqual({
      from: new Date(month.from).toISOString(),
      to: new Date(month.to).toISOString(),
    });
    expect(u.orgId).toBe(t.personalOrgId);
    expect(u.usage).toEqual({ runs: 0, cpuSeconds: 0, tasks: 0, inputTokens: 0, outputTokens: 0 });
    expect(u.limits.monthlyTokens).toEqual({
      scope: 'organization',
      limit: null,
      used: 0,
      remaining: null,
      resetsAt: u.period.to,
    });
    expect(u.limits.runsPerWindow).toEqual({ limit: 30, windowSeconds: 60, remaining: 30, resetsAt: null });
    expect(u.limits.outputPerWindow).toEqual({
      scope: 'organization',
      limit: 8192 * 1024,
      windowSeconds: 60,
      used: 0,
      remaining: 8192 * 1024,
      resetsAt: null,
    });
    expect(u.limits.tasksPerWindow).toEqual({ limit: 10, windowSeconds: 60, remaining: 10, resetsAt: null });
    expect(u.limits.runsInProgress.organization).toEqual({ limit: 10, inProgress: 0, remaining: 10 });
    expect(u.limits.runsInProgress.user).toEqual({ limit: 10, inProgress: 0, remaining: 10 });
    // This request itself spent one API hit (and so did the tenant fixture's GET /v1/orgs).
    expect(u.limits.apiRequestsPerWindow.remaining).toBeLessThan(u.limits.apiRequestsPerWindow.limit);
  });

  it("counts the caller's runs, CPU, tasks and tokens this month; deleted tasks still count; the cap shows what is left", async () => {
    const t = await freshTenant();
    const run = await worker(
      '/v1/runs',
      jsonInit('POST', { language: 'python', code: 'print(1)', wait: true }, bearer(t.token)),
    );
    expect(run.status).toBe(200);
    const { cpuMs } = (await run.json()) as { cpuMs: number };
    const done = await task(t);
    // A run of last month is not this month's.
    await env.DB.prepare(
      "INSERT INTO runs (id, org_id, user_id, language, status, cpu_ms, created_at) VALUES (?, ?, ?, 'python', 'succeeded', 5000, ?)",
    )
      .bind(crypto.randomUUID(), t.personalOrgId, t.user.user.id, utcMonth(Date.now()).from - 1)
      .run();
    expect(
      (await worker(`/v1/tasks/${done.id}`, { method: 'DELETE', headers: bearer(t.token) })).status,
    ).toBe(204);
    expect(
      (await as(t.token, `/v1/orgs/${t.personalOrgId}`, { method: 'PATCH', body: { monthlyTokenCap: 1000 } }))
        .status,
    ).toBe(200);

    const u = await usageOf(t.token);
    // One run of its own; the task's attempt was a run too, and was erased with the task.
    expect(u.usage.runs).toBe(1);
    expect(u.usage.cpuSeconds).toBe(cpuMs / 1000);
    expect(u.usage.tasks).toBe(1);
    expect(u.usage.inputTokens + u.usage.outputTokens).toBe(done.tokens);
    expect(u.limits.monthlyTokens).toMatchObject({
      limit: 1000,
      used: done.tokens,
      remaining: 1000 - done.tokens,
    });
    // Two run creations (the run and the task's attempt) and one task creation spent.
    expect(u.limits.runsPerWindow.remaining).toBe(28);
    expect(u.limits.runsPerWindow.resetsAt).not.toBeNull();
    expect(u.limits.tasksPerWindow.remaining).toBe(9);
    // The run wrote "1\n"; the task's attempt, erased with the task, was charged when it ran.
    expect(u.limits.outputPerWindow.used).toBeGreaterThanOrEqual(2);
    expect(u.limits.outputPerWindow.remaining).toBe(8192 * 1024 - u.limits.outputPerWindow.used);
  });

  it("in a team: the caller's own usage, the organization's token total", async () => {
    const owner = await freshTenant();
    const team = await createOrg(owner);
    const member = await freshTenant();
    await env.DB.prepare(
      "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, 'member', ?)",
    )
      .bind(team, member.user.user.id, Date.now())
      .run();
    const done = await task(member, team);

    const mine = await usageOf(owner.token, team);
    expect(mine.orgId).toBe(team);
    expect(mine.usage.tasks).toBe(0);
    expect(mine.limits.monthlyTokens.used).toBe(done.tokens);
    const theirs = await usageOf(member.token, team);
    expect(theirs.usage.tasks).toBe(1);
    // The member's personal organization saw none of it.
    expect((await usageOf(member.token)).limits.monthlyTokens.used).toBe(0);
    // Not a member: 404.
    const stranger = await freshTenant();
    expect((await as({ token: stranger.token, orgId: team }, '/v1/usage')).status).toBe(404);
  });
});
