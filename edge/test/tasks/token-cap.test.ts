/**
 * An organization's monthly task token cap (issue 13): owners and admins set it (PATCH /v1/orgs/{id},
 * an allowlist of one field); once the organization's tasks of this UTC month have used it, POST
 * /v1/tasks answers 429 `token_cap_reached` before any provider call, a running task makes no further
 * model call, and erasing a task does not give its tokens back.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { remainingOf, secondsUntil, utcMonth } from '../../src/domain/usage/month.ts';
import { jsonInit } from '../helpers.ts';
import { bearer, worker } from '../runs/support.ts';
import { as, createOrg, json, mintApiKey, type Tenant, tenant } from '../tenancy/fixtures.ts';
import { freshKey, programReply, received, script } from './providers-script.ts';
import { ofType, storeKey, watchToEnd } from './support.ts';

const TASK = { prompt: 'Print 42.', provider: 'openai', model: 'gpt-local', language: 'python' } as const;

async function freshTenant(): Promise<Tenant> {
  if (env.RUNS_HOST_ERROR) throw new Error(env.RUNS_HOST_ERROR);
  return tenant();
}

const setCap = (caller: string, orgId: string, monthlyTokenCap: unknown) =>
  as(caller, `/v1/orgs/${orgId}`, { method: 'PATCH', body: { monthlyTokenCap } });

function postTask(token: string, body: Record<string, unknown> = TASK, orgId?: string) {
  return worker(
    '/v1/tasks',
    jsonInit('POST', body, { ...bearer(token), ...(orgId ? { 'X-Org-Id': orgId } : {}) }),
  );
}

async function withKey(t: Tenant, ...replies: Parameters<typeof script>[1][]): Promise<string> {
  const key = freshKey('openai');
  await storeKey(t.user, 'openai', key);
  await script(key, ...replies);
  return key;
}

async function joinAs(t: Tenant, orgId: string, role: 'admin' | 'member'): Promise<void> {
  await env.DB.prepare('INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)')
    .bind(orgId, t.user.user.id, role, Date.now())
    .run();
}

describe('the UTC month', () => {
  it('is the calendar month holding now, [first instant, first instant of the next)', () => {
    const m = utcMonth(Date.parse('2026-12-31T23:59:59.999Z'));
    expect(new Date(m.from).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(m.to).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(utcMonth(Date.parse('2027-01-01T00:00:00.000Z')).from).toBe(m.to);
    expect(secondsUntil(m.to, m.to - 1500)).toBe(2);
    expect(secondsUntil(m.to, m.to)).toBe(1);
    expect(remainingOf(null, 5)).toBeNull();
    expect(remainingOf(10, 15)).toBe(0);
  });
});

describe('PATCH /v1/orgs/{id}: the monthly token cap', { timeout: 60_000 }, () => {
  it('owners and admins set and remove it; members and API keys cannot; other fields are refused', async () => {
    const owner = await freshTenant();
    const team = await createOrg(owner);
    const admin = await freshTenant();
    const member = await freshTenant();
    await joinAs(admin, team, 'admin');
    await joinAs(member, team, 'member');

    const set = await json<{ id: string; monthlyTokenCap: number }>(
      await setCap(owner.token, team, 5000),
      200,
    );
    expect(set).toMatchObject({ id: team, monthlyTokenCap: 5000 });
    expect(await json(await setCap(admin.token, team, 7000), 200)).toMatchObject({ monthlyTokenCap: 7000 });
    expect((await setCap(member.token, team, 1)).status).toBe(403);
    const key = await mintApiKey(owner, { orgId: team, scopes: ['tasks:write'] });
    expect((await setCap(key.key, team, 1)).status).toBe(403);
    // Not a member: 404, as for an organization that does not exist.
    const stranger = await freshTenant();
    expect((await setCap(stranger.token, team, 1)).status).toBe(404);

    for (const bad of [0, -1, 1.5, '100', 1e13]) {
      expect((await setCap(owner.token, team, bad)).status, String(bad)).toBe(400);
    }
    const extra = await as(owner.token, `/v1/orgs/${team}`, {
      method: 'PATCH',
      body: { monthlyTokenCap: 1, name: 'renamed', personal: true },
    });
    expect(extra.status).toBe(400);

    const orgs = await json<{ orgs: { id: string; monthlyTokenCap: number | null; name: string }[] }>(
      await as(owner.token, '/v1/orgs'),
      200,
    );
    expect(orgs.orgs.find((o) => o.id === team)).toMatchObject({ monthlyTokenCap: 7000, name: 'Team' });
    expect(await json(await setCap(owner.token, team, null), 200)).toMatchObject({ monthlyTokenCap: null });
    const audit = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_log WHERE org_id = ? AND action = 'org.token_cap_set'",
    )
      .bind(team)
      .first<{ n: number }>();
    expect(audit?.n).toBe(3);
  });
});

describe('the cap on tasks', { timeout: 60_000 }, () => {
  it('past the cap a task is 429 token_cap_reached before any provider call; erasing tasks refunds nothing', async () => {
    const t = await freshTenant();
    const key = await withKey(t, programReply('print(42)'), programReply('print("never")'));
    expect((await setCap(t.token, t.personalOrgId, 40)).status).toBe(200);

    // Under the cap (nothing used yet): the task runs and spends 42 input tokens and some output.
    const first = await postTask(t.token);
    expect(first.status).toBe(202);
    const accepted = (await first.json()) as { id: string; streamUrl: string };
    const frames = await watchToEnd(accepted.streamUrl);
    expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });
    const spent = (frames.at(-1)?.inputTokens ?? 0) + (frames.at(-1)?.outputTokens ?? 0);
    expect(spent).toBeGreaterThan(40);

    const refused = await postTask(t.token);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(31 * 86_400);
    const body = (await refused.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: 'token_cap_reached', cap: 40, used: spent, remaining: 0 });
    expect(new Date(String(body.error.resetsAt)).getTime()).toBe(utcMonth(Date.now()).to);
    expect(await received(key)).toHaveLength(1);

    // Erasing the task erases its prompt, not what it cost.
    expect(
      (await worker(`/v1/tasks/${accepted.id}`, { method: 'DELETE', headers: bearer(t.token) })).status,
    ).toBe(204);
    expect((await postTask(t.token)).status).toBe(429);
    expect(await received(key)).toHaveLength(1);

    // Raised (removed): tasks run again.
    expect((await setCap(t.token, t.personalOrgId, null)).status).toBe(200);
    expect((await postTask(t.token)).status).toBe(202);
    expect(await received(key)).toHaveLength(2);
  });

  it('a running task makes no further model call once the cap is reached', async () => {
    const t = await freshTenant();
    const key = await withKey(t, programReply('raise SystemExit(3)'), programReply('print("fixed")'));
    expect((await setCap(t.token, t.personalOrgId, 40)).status).toBe(200);
    const res = await postTask(t.token, { ...TASK, maxAttempts: 2 });
    expect(res.status).toBe(202);
    const frames = await watchToEnd(((await res.json()) as { streamUrl: string }).streamUrl);
    expect(ofType(frames, 'exit')).toHaveLength(1);
    expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'error', errorCode: 'token_cap_reached' });
    expect(await received(key)).toHaveLength(1);
  });

  it("the cap is the organization's: one member's tokens count against another's tasks", async () => {
    const owner = await freshTenant();
    const team = await createOrg(owner);
    const member = await freshTenant();
    await joinAs(member, team, 'member');
    const ownerKey = await withKey(owner, programReply('print(1)'));
    const memberKey = await withKey(member, programReply('print(2)'));
    expect((await setCap(owner.token, team, 40)).status).toBe(200);

    const first = await postTask(member.token, TASK, team);
    expect(first.status).toBe(202);
    await watchToEnd(((await first.json()) as { streamUrl: string }).streamUrl);
    const refused = await postTask(owner.token, TASK, team);
    expect(refused.status).toBe(429);
    expect(await received(ownerKey)).toHaveLength(0);
    expect(await received(memberKey)).toHaveLength(1);
    // Their personal organizations have no cap.
    expect((await postTask(owner.token)).status).toBe(202);
  });
});
