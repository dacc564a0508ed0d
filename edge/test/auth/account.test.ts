import { env } from 'cloudflare:test';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { planAccountDeletion } from '../../src/domain/auth/account-deletion.ts';
import type { AppEnv } from '../../src/env.ts';
import { onError } from '../../src/errors/handler.ts';
import { userOnly } from '../../src/middleware/authenticate.ts';
import { authFetch, authHeaders, errorOf, jsonInit, registerUser, TEST_PASSWORD } from '../helpers.ts';

/** The signed-in user's account: password change and deletion (issue 3 items 5 and 7). */

const count = async (sql: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...binds)
      .first<{ n: number }>()
  )?.n ?? -1;

describe('PUT /v1/me/password', () => {
  it('needs the current password; success revokes every session', async () => {
    const user = await registerUser();
    const put = (body: unknown) =>
      authFetch('/v1/me/password', jsonInit('PUT', body, authHeaders(user.accessToken)));

    const wrong = await put({
      currentPassword: 'not my password at all',
      newPassword: 'a fresh passphrase 11',
    });
    expect(wrong.status).toBe(403);
    expect((await errorOf(wrong)).code).toBe('password_incorrect');
    const weak = await put({ currentPassword: user.password, newPassword: 'password1234' });
    expect((await errorOf(weak)).code).toBe('weak_password');

    const ok = await put({ currentPassword: user.password, newPassword: 'a fresh passphrase 11' });
    expect(ok.status).toBe(204);
    const refresh = await authFetch(
      '/v1/auth/refresh',
      jsonInit('POST', { refreshToken: user.refreshToken }),
    );
    expect(refresh.status).toBe(401);
    const login = (password: string) =>
      authFetch('/v1/auth/login', jsonInit('POST', { email: user.user.email, password }));
    expect((await login(user.password)).status).toBe(401);
    expect((await login('a fresh passphrase 11')).status).toBe(200);
  });

  it('requires a user session', async () => {
    expect((await authFetch('/v1/me/password', jsonInit('PUT', {}))).status).toBe(401);
  });
});

describe('DELETE /v1/me', () => {
  it('with a wrong password: 403 and nothing is deleted', async () => {
    const user = await registerUser();
    const res = await authFetch(
      '/v1/me',
      jsonInit('DELETE', { password: 'wrong password here' }, authHeaders(user.accessToken)),
    );
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('password_incorrect');
    expect(await count('SELECT COUNT(*) AS n FROM users WHERE id = ?', user.user.id)).toBe(1);
    const missing = await authFetch('/v1/me', jsonInit('DELETE', {}, authHeaders(user.accessToken)));
    expect(missing.status).toBe(400);
  });

  it('with the password: removes the user, sessions, personal org and pending mail; the token stops working', async () => {
    const user = await registerUser();
    await authFetch('/v1/auth/password/forgot', jsonInit('POST', { email: user.user.email }));
    const orgId = (
      await env.DB.prepare('SELECT org_id FROM memberships WHERE user_id = ?')
        .bind(user.user.id)
        .first<{ org_id: string }>()
    )?.org_id;

    const res = await authFetch(
      '/v1/me',
      jsonInit('DELETE', { password: user.password }, authHeaders(user.accessToken)),
    );
    expect(res.status).toBe(204);

    const id = user.user.id;
    expect(await count('SELECT COUNT(*) AS n FROM users WHERE id = ?', id)).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM refresh_tokens WHERE user_id = ?', id)).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM password_resets WHERE user_id = ?', id)).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM memberships WHERE user_id = ?', id)).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM orgs WHERE id = ?', orgId)).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM outbox WHERE recipient = ?', user.user.email)).toBe(0);

    expect((await authFetch('/v1/me', { headers: authHeaders(user.accessToken) })).status).toBe(401);
    const login = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: user.user.email, password: user.password }),
    );
    expect(login.status).toBe(401);
    const audit = await env.DB.prepare(
      `SELECT outcome, ip, user_agent, request_id FROM audit_log WHERE action = 'user.delete' AND actor_user_id = ?`,
    )
      .bind(id)
      .all();
    expect(audit.results).toEqual([
      expect.objectContaining({ outcome: 'success', user_agent: null, request_id: expect.any(String) }),
    ]);
  });

  it('hands a shared organization to the longest-standing admin, else member', async () => {
    const owner = await registerUser();
    const admin = await registerUser();
    const member = await registerUser();
    const bystander = await registerUser();
    const now = Date.now();
    const sharedOrg = crypto.randomUUID();
    const memberOnlyOrg = crypto.randomUUID();
    const elsewhere = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare('INSERT INTO orgs (id, name, personal, created_at) VALUES (?, ?, 0, ?)').bind(
        sharedOrg,
        'shared',
        now,
      ),
      env.DB.prepare('INSERT INTO orgs (id, name, personal, created_at) VALUES (?, ?, 0, ?)').bind(
        memberOnlyOrg,
        'm',
        now,
      ),
      env.DB.prepare('INSERT INTO orgs (id, name, personal, created_at) VALUES (?, ?, 0, ?)').bind(
        elsewhere,
        'e',
        now,
      ),
      ...[
        [sharedOrg, owner.user.id, 'owner', now],
        [sharedOrg, member.user.id, 'member', now + 1], // older than the admin, but admins come first
        [sharedOrg, admin.user.id, 'admin', now + 2],
        [memberOnlyOrg, owner.user.id, 'owner', now],
        [memberOnlyOrg, member.user.id, 'member', now + 1],
        [elsewhere, bystander.user.id, 'owner', now],
        [elsewhere, owner.user.id, 'member', now + 1],
      ].map((row) =>
        env.DB.prepare(
          'INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)',
        ).bind(...row),
      ),
    ]);

    const res = await authFetch(
      '/v1/me',
      jsonInit('DELETE', { password: TEST_PASSWORD }, authHeaders(owner.accessToken)),
    );
    expect(res.status).toBe(204);
    const roles = async (orgId: string) =>
      (
        await env.DB.prepare('SELECT user_id, role FROM memberships WHERE org_id = ? ORDER BY created_at')
          .bind(orgId)
          .all<{ user_id: string; role: string }>()
      ).results;
    expect(await roles(sharedOrg)).toEqual([
      { user_id: member.user.id, role: 'member' },
      { user_id: admin.user.id, role: 'owner' },
    ]);
    expect(await roles(memberOnlyOrg)).toEqual([{ user_id: member.user.id, role: 'owner' }]);
    expect(await roles(elsewhere)).toEqual([{ user_id: bystander.user.id, role: 'owner' }]);
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM audit_log WHERE action = 'org.ownership_transfer' AND actor_user_id = ?`,
        owner.user.id,
      ),
    ).toBe(2);
  });

  it('two co-owners deleting their accounts at once still leave the organization an owner', async () => {
    const [a, b, heir] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const now = Date.now();
    const org = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare('INSERT INTO orgs (id, name, personal, created_at) VALUES (?, ?, 0, ?)').bind(
        org,
        'co',
        now,
      ),
      ...[
        [org, a.user.id, 'owner', now],
        [org, b.user.id, 'owner', now + 1],
        [org, heir.user.id, 'member', now + 2],
      ].map((row) =>
        env.DB.prepare(
          'INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)',
        ).bind(...row),
      ),
    ]);
    // Each request reads "the other one stays owner" before either batch runs.
    const [ra, rb] = await Promise.all(
      [a, b].map((u) =>
        authFetch('/v1/me', jsonInit('DELETE', { password: TEST_PASSWORD }, authHeaders(u.accessToken))),
      ),
    );
    expect([ra?.status, rb?.status]).toEqual([204, 204]);
    const rows = await env.DB.prepare('SELECT user_id, role FROM memberships WHERE org_id = ?')
      .bind(org)
      .all<{ user_id: string; role: string }>();
    expect(rows.results).toEqual([{ user_id: heir.user.id, role: 'owner' }]);
  });

  it('planAccountDeletion keeps orgs that already have another owner untouched', () => {
    const plan = planAccountDeletion('u', [
      { orgId: 'a', userId: 'u', role: 'owner', createdAt: 1 },
      { orgId: 'a', userId: 'v', role: 'owner', createdAt: 2 },
      { orgId: 'b', userId: 'u', role: 'admin', createdAt: 1 },
      { orgId: 'c', userId: 'u', role: 'owner', createdAt: 1 },
    ]);
    expect(plan).toEqual({ deleteOrgs: ['b', 'c'], promote: [] });
  });
});

describe('API keys on account routes', () => {
  it('an API key of the user can reach none of /v1/me (403), and the account stays', async () => {
    const user = await registerUser();
    const created = await authFetch(
      '/v1/api-keys',
      jsonInit('POST', { name: 'ci', scopes: ['runs:write', 'runs:read'] }, authHeaders(user.accessToken)),
    );
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    expect(key).toMatch(/^ak_/);
    const h = authHeaders(key);
    expect((await authFetch('/v1/me', { headers: h })).status).toBe(403);
    const put = await authFetch(
      '/v1/me/password',
      jsonInit('PUT', { currentPassword: user.password, newPassword: 'taken over passphrase 1' }, h),
    );
    expect(put.status).toBe(403);
    expect((await authFetch('/v1/me', jsonInit('DELETE', { password: user.password }, h))).status).toBe(403);
    expect(await count('SELECT COUNT(*) AS n FROM users WHERE id = ?', user.user.id)).toBe(1);
  });
});

describe('password confirmation is throttled like a login', () => {
  it('at most 5 current-password checks per minute per user', async () => {
    const user = await registerUser();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await authFetch(
        '/v1/me',
        jsonInit('DELETE', { password: `guess number ${i} here` }, authHeaders(user.accessToken)),
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429]);
  });
});

describe('userOnly', () => {
  it('refuses API-key principals on account routes with 403', async () => {
    const app = new Hono<AppEnv>();
    app.use(async (c, next) => {
      c.set('requestId', 'test');
      c.set('principal', { kind: 'api_key', userId: 'u', orgId: 'o', apiKeyId: 'k', scopes: [] });
      await next();
    });
    app.get('/v1/me', userOnly(), (c) => c.text('reached'));
    app.onError(onError);
    const res = await app.request('/v1/me');
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('reached');
  });
});
