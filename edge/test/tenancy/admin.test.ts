import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { errorOf, registerUser } from '../helpers.ts';
import { as, createOrg, json, mintApiKey, setAdmin, tenant } from './fixtures.ts';

// Seed 000 "Role-based access" / "What we do not do"; seed 001 "Admin Access Control", "Audit Logging".
const ADMIN_ROUTES = ['/v1/admin/stats', '/v1/admin/users', '/v1/admin/billing', '/v1/admin/audit'];

type AuditRow = {
  action: string;
  outcome: string;
  ip: string | null;
  user_agent: string | null;
  request_id: string;
};
const auditOf = async (userId: string, actionPrefix = 'admin.') =>
  (
    await env.DB.prepare(
      'SELECT action, outcome, ip, user_agent, request_id FROM audit_log WHERE actor_user_id = ? AND action LIKE ? ORDER BY at, rowid',
    )
      .bind(userId, `${actionPrefix}%`)
      .all<AuditRow>()
  ).results;

describe('admin access', () => {
  it('a non-admin gets 403 on every admin route, and each attempt is audited with IP', async () => {
    const a = await tenant();
    for (const path of ADMIN_ROUTES) {
      const res = await as(a.token, path, {
        headers: { 'cf-connecting-ip': '203.0.113.9', 'user-agent': 'probe/1' },
      });
      expect([path, res.status]).toEqual([path, 403]);
      expect((await errorOf(res)).code).toBe('forbidden');
    }
    const audit = await auditOf(a.user.user.id);
    expect(audit.map((r) => [r.action, r.outcome, r.ip, r.user_agent])).toEqual(
      ['stats', 'users', 'billing', 'audit'].map((r) => [`admin.${r}`, 'failure', '203.0.113.9', 'probe/1']),
    );
    // Unauthenticated: 401 before the guard.
    const anonymous = await as('', '/v1/admin/stats');
    expect(anonymous.status).toBe(401);
  });

  it('an admin reaches every route; each call is audited; revoking the flag in D1 acts on the next request', async () => {
    const admin = await tenant();
    await setAdmin(admin.user.user.id, true);
    for (const path of ADMIN_ROUTES) {
      const res = await as(admin.token, path, { headers: { 'cf-connecting-ip': '198.51.100.4' } });
      expect([path, res.status]).toEqual([path, 200]);
    }
    const audit = await auditOf(admin.user.user.id);
    expect(audit.map((r) => [r.action, r.outcome, r.ip])).toEqual(
      ['stats', 'users', 'billing', 'audit'].map((r) => [`admin.${r}`, 'success', '198.51.100.4']),
    );
    expect(new Set(audit.map((r) => r.request_id)).size).toBe(4);

    // The same, still valid access token: the flag is read from D1, not from the token.
    await setAdmin(admin.user.user.id, false);
    expect((await as(admin.token, '/v1/admin/stats')).status).toBe(403);
    await setAdmin(admin.user.user.id, true);
    expect((await as(admin.token, '/v1/admin/stats')).status).toBe(200);
    // An admin's API key is still only an API key.
    const key = await mintApiKey(admin);
    expect((await as(key.key, '/v1/admin/stats')).status).toBe(403);
  });

  it('lists and searches users by email prefix, paginated, without secrets', async () => {
    const admin = await tenant();
    await setAdmin(admin.user.user.id, true);
    const tag = `zz${crypto.randomUUID().slice(0, 8)}`;
    const emails = [];
    for (let i = 0; i < 3; i++) {
      const email = `${tag}-${i}@example.test`;
      await registerUser(email);
      emails.push(email);
    }
    type Page = { users: { email: string; isAdmin: boolean; id: string }[]; next: string | null };
    const first = await json<Page>(
      await as(admin.token, `/v1/admin/users?q=${tag.toUpperCase()}&limit=2`),
      200,
    );
    expect(first.users.map((u) => u.email)).toEqual(emails.slice(0, 2));
    expect(first.next).toBe(emails[1]);
    const second = await json<Page>(
      await as(admin.token, `/v1/admin/users?q=${tag}&limit=2&after=${encodeURIComponent(first.next ?? '')}`),
      200,
    );
    expect(second.users.map((u) => u.email)).toEqual(emails.slice(2));
    expect(second.next).toBeNull();
    expect(JSON.stringify([first, second])).not.toMatch(/password|hash/i);
    expect((await as(admin.token, '/v1/admin/users?limit=0')).status).toBe(400);
    expect((await as(admin.token, '/v1/admin/users?sort=password_hash')).status).toBe(400);
  });

  it('reports stats and per-organization billing for a period', async () => {
    const admin = await tenant();
    await setAdmin(admin.user.user.id, true);
    const team = await createOrg(admin, 'Billing Co');
    const day = Date.UTC(2031, 0, 15, 12);
    const insert = env.DB.prepare(
      `INSERT INTO runs (id, org_id, user_id, language, status, cpu_ms, wall_ms, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    await env.DB.batch([
      insert.bind(crypto.randomUUID(), team, admin.user.user.id, 'python', 'succeeded', 1500, 2000, day),
      insert.bind(crypto.randomUUID(), team, admin.user.user.id, 'python', 'failed', 500, 1000, day + 1000),
      insert.bind(
        crypto.randomUUID(),
        team,
        admin.user.user.id,
        'node',
        'succeeded',
        250,
        400,
        day + 86_400_000,
      ),
      insert.bind(
        crypto.randomUUID(),
        admin.personalOrgId,
        admin.user.user.id,
        'go',
        'timed_out',
        1000,
        15000,
        day,
      ),
      // Outside the period.
      insert.bind(
        crypto.randomUUID(),
        team,
        admin.user.user.id,
        'python',
        'succeeded',
        9999,
        9999,
        day + 40 * 86_400_000,
      ),
    ]);
    const period = 'from=2031-01-01&to=2031-02-01';
    type Billing = {
      orgs: { orgId: string; name: string; runs: number; cpuSeconds: number; wallSeconds: number }[];
    };
    const billing = await json<Billing>(await as(admin.token, `/v1/admin/billing?${period}`), 200);
    expect(billing.orgs).toEqual([
      expect.objectContaining({
        orgId: team,
        name: 'Billing Co',
        runs: 3,
        cpuSeconds: 2.25,
        wallSeconds: 3.4,
      }),
      expect.objectContaining({ orgId: admin.personalOrgId, runs: 1, cpuSeconds: 1, wallSeconds: 15 }),
    ]);

    type Stats = {
      users: { total: number; admins: number };
      orgs: { total: number };
      runs: {
        total: number;
        byStatus: Record<string, number>;
        byLanguage: Record<string, number>;
        daily: { date: string; status: string; language: string; runs: number }[];
      };
    };
    const stats = await json<Stats>(await as(admin.token, `/v1/admin/stats?${period}`), 200);
    expect(stats.users.admins).toBeGreaterThanOrEqual(1);
    expect(stats.orgs.total).toBeGreaterThanOrEqual(2);
    expect(stats.runs.total).toBe(4);
    expect(stats.runs.byStatus).toEqual({ succeeded: 2, failed: 1, timed_out: 1 });
    expect(stats.runs.byLanguage).toEqual({ python: 2, node: 1, go: 1 });
    expect(stats.runs.daily).toContainEqual({
      date: '2031-01-16',
      status: 'succeeded',
      language: 'node',
      runs: 1,
    });
    expect((await as(admin.token, '/v1/admin/stats?from=2031-02-01&to=2031-01-01')).status).toBe(400);
    expect((await as(admin.token, '/v1/admin/billing?from=yesterday')).status).toBe(400);
  });

  it('filters the audit log and pages through it with a cursor', async () => {
    const admin = await tenant();
    await setAdmin(admin.user.user.id, true);
    const a = await tenant();
    const team = await createOrg(a, 'Audited');
    for (let i = 0; i < 3; i++) await mintApiKey(a, { orgId: team, name: `k${i}` });
    type Page = {
      entries: { action: string; actorUserId: string; orgId: string; metadata: unknown }[];
      next: string | null;
    };
    const base = `/v1/admin/audit?action=api_key.created&actor=${a.user.user.id}&org=${team}&limit=2`;
    const first = await json<Page>(await as(admin.token, base), 200);
    expect(first.entries).toHaveLength(2);
    expect(first.entries.every((e) => e.action === 'api_key.created' && e.orgId === team)).toBe(true);
    expect(first.next).toEqual(expect.any(String));
    const second = await json<Page>(await as(admin.token, `${base}&cursor=${first.next}`), 200);
    expect(second.entries).toHaveLength(1);
    expect(second.next).toBeNull();
    expect(JSON.stringify([first, second])).not.toContain('ak_');
    expect((await as(admin.token, `${base}&cursor=not-a-cursor`)).status).toBe(400);
    // The admin's own reads are in the log too.
    const own = await json<Page>(
      await as(admin.token, `/v1/admin/audit?actor=${admin.user.user.id}&action=admin.audit`),
      200,
    );
    expect(own.entries.length).toBeGreaterThanOrEqual(3);
  });
});
