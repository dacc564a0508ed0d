/**
 * Admin billing and stats include task counts and token usage per organization (issue 13): from
 * task_usage, so a task whose history the user erased still counts, and an organization with tasks
 * but no runs is listed.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { bearer, worker } from '../runs/support.ts';
import { as, createOrg, json, setAdmin, tenant } from '../tenancy/fixtures.ts';
import { scriptedTask } from './support.ts';

interface BillingRow {
  orgId: string;
  name: string;
  runs: number;
  cpuSeconds: number;
  tasks: number;
  inputTokens: number;
  outputTokens: number;
}
interface Stats {
  tasks: {
    total: number;
    inputTokens: number;
    outputTokens: number;
    byOrg: { orgId: string; tasks: number; inputTokens: number; outputTokens: number }[];
  };
}

describe('admin reports: tasks and tokens per organization', { timeout: 60_000 }, () => {
  it('billing and stats count tasks and tokens per organization, in the period', async () => {
    if (env.RUNS_HOST_ERROR) throw new Error(env.RUNS_HOST_ERROR);
    const admin = await tenant();
    await setAdmin(admin.user.user.id, true);
    const team = await createOrg(admin, 'Token Co');
    const day = Date.UTC(2032, 2, 10, 12);
    const usage = env.DB.prepare(
      'INSERT INTO task_usage (task_id, org_id, user_id, created_at, input_tokens, output_tokens) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const uid = admin.user.user.id;
    await env.DB.batch([
      usage.bind(crypto.randomUUID(), team, uid, day, 100, 20),
      usage.bind(crypto.randomUUID(), team, uid, day + 1000, 50, 5),
      usage.bind(crypto.randomUUID(), admin.personalOrgId, uid, day, 7, 3),
      // Outside the period.
      usage.bind(crypto.randomUUID(), team, uid, day + 40 * 86_400_000, 9999, 9999),
      env.DB.prepare(
        "INSERT INTO runs (id, org_id, user_id, language, status, cpu_ms, wall_ms, created_at) VALUES (?, ?, ?, 'python', 'succeeded', 2000, 2500, ?)",
      ).bind(crypto.randomUUID(), admin.personalOrgId, uid, day),
    ]);
    const period = 'from=2032-03-01&to=2032-04-01';

    const billing = await json<{ orgs: BillingRow[] }>(
      await as(admin.token, `/v1/admin/billing?${period}`),
      200,
    );
    // The personal organization has runs (CPU first); the team has tasks only and is listed too.
    expect(billing.orgs).toEqual([
      expect.objectContaining({
        orgId: admin.personalOrgId,
        runs: 1,
        cpuSeconds: 2,
        tasks: 1,
        inputTokens: 7,
        outputTokens: 3,
      }),
      expect.objectContaining({
        orgId: team,
        name: 'Token Co',
        runs: 0,
        cpuSeconds: 0,
        tasks: 2,
        inputTokens: 150,
        outputTokens: 25,
      }),
    ]);

    const stats = await json<Stats>(await as(admin.token, `/v1/admin/stats?${period}`), 200);
    expect(stats.tasks.total).toBe(3);
    expect(stats.tasks.inputTokens).toBe(157);
    expect(stats.tasks.outputTokens).toBe(28);
    expect(stats.tasks.byOrg).toEqual([
      { orgId: team, tasks: 2, inputTokens: 150, outputTokens: 25 },
      { orgId: admin.personalOrgId, tasks: 1, inputTokens: 7, outputTokens: 3 },
    ]);
  });

  it('a real task counts in billing, and still does after the user erased it', async () => {
    const admin = await tenant();
    await setAdmin(admin.user.user.id, true);
    const user = await tenant();
    const { id, end } = await scriptedTask(user.token);
    expect((await worker(`/v1/tasks/${id}`, { method: 'DELETE', headers: bearer(user.token) })).status).toBe(
      204,
    );

    const billing = await json<{ orgs: BillingRow[] }>(await as(admin.token, '/v1/admin/billing'), 200);
    expect(billing.orgs.find((o) => o.orgId === user.personalOrgId)).toMatchObject({
      tasks: 1,
      inputTokens: end?.inputTokens,
      outputTokens: end?.outputTokens,
    });
    const stats = await json<Stats>(await as(admin.token, '/v1/admin/stats'), 200);
    expect(stats.tasks.byOrg).toContainEqual({
      orgId: user.personalOrgId,
      tasks: 1,
      inputTokens: end?.inputTokens,
      outputTokens: end?.outputTokens,
    });
  });
});
