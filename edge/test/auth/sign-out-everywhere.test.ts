import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { authFetch, authHeaders, errorOf, jsonInit, registerUser } from '../helpers.ts';

/**
 * POST /v1/me/sessions/revoke, "sign out everywhere" (issue 16, account page): every refresh family
 * of the user ends, and every access token issued before it stops at its next request (OWASP ASVS
 * 5.0 V7.4.3: the user can terminate all other active sessions). Another user's sessions live on.
 */

const login = async (email: string, password: string) => {
  const res = await authFetch('/v1/auth/login', jsonInit('POST', { email, password }));
  expect(res.status).toBe(200);
  return (await res.json()) as { accessToken: string; refreshToken: string };
};
const refresh = (refreshToken: string) => authFetch('/v1/auth/refresh', jsonInit('POST', { refreshToken }));
const me = (accessToken: string) => authFetch('/v1/me', { headers: authHeaders(accessToken) });

describe('POST /v1/me/sessions/revoke', () => {
  it('ends every session of the user, refresh and access tokens alike, and is audited', async () => {
    const user = await registerUser();
    const other = await login(user.user.email, user.password);
    const bystander = await registerUser();
    expect((await me(user.accessToken)).status).toBe(200);

    const res = await authFetch('/v1/me/sessions/revoke', {
      method: 'POST',
      headers: authHeaders(user.accessToken),
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie') ?? '').toMatch(/Max-Age=0/i);

    for (const token of [user.refreshToken, other.refreshToken]) {
      const r = await refresh(token);
      expect(r.status).toBe(401);
    }
    for (const token of [user.accessToken, other.accessToken]) {
      const r = await me(token);
      expect(r.status).toBe(401);
      expect((await errorOf(r)).code).toBe('unauthorized');
    }

    // A new sign-in works, and so does everyone else's session.
    const again = await login(user.user.email, user.password);
    expect((await me(again.accessToken)).status).toBe(200);
    expect((await me(bystander.accessToken)).status).toBe(200);
    expect((await refresh(bystander.refreshToken)).status).toBe(200);

    const audited = await env.DB.prepare(
      `SELECT outcome, request_id FROM audit_log WHERE action = 'user.sessions_revoke' AND actor_user_id = ?`,
    )
      .bind(user.user.id)
      .all<{ outcome: string; request_id: string | null }>();
    expect(audited.results).toHaveLength(1);
    expect(audited.results[0]?.outcome).toBe('success');
    expect(audited.results[0]?.request_id).toBeTruthy();
  });

  it('requires a signed-in user, not an API key or nobody', async () => {
    const anonymous = await authFetch('/v1/me/sessions/revoke', { method: 'POST' });
    expect(anonymous.status).toBe(401);
    const user = await registerUser();
    const created = await authFetch(
      '/v1/api-keys',
      jsonInit('POST', { name: 'k', scopes: ['runs:read'] }, authHeaders(user.accessToken)),
    );
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const viaKey = await authFetch('/v1/me/sessions/revoke', { method: 'POST', headers: authHeaders(key) });
    expect(viaKey.status).toBe(403);
    expect((await refresh(user.refreshToken)).status).toBe(200);
  });
});
