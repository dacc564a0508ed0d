import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  authFetch,
  authHeaders,
  errorOf,
  expectSecurityHeaders,
  jsonInit,
  registerUser,
  TEST_PASSWORD,
  uniqueEmail,
} from '../helpers.ts';

interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; email: string };
}

const login = (email: string, password: string, headers: Record<string, string> = {}) =>
  authFetch('/v1/auth/login', jsonInit('POST', { email, password }, headers));
const refresh = (refreshToken: string) => authFetch('/v1/auth/refresh', jsonInit('POST', { refreshToken }));

describe('register, login, me, refresh, logout', () => {
  it('registers with the DESIGN.md shape, a personal org it owns, and a refresh cookie', async () => {
    const email = `  New.User-${crypto.randomUUID()}@Example.TEST `;
    const res = await authFetch('/v1/auth/register', jsonInit('POST', { email, password: TEST_PASSWORD }));
    expect(res.status).toBe(201);
    expectSecurityHeaders(res);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Session;
    expect(body.expiresIn).toBe(900);
    expect(body.user.email).toBe(email.trim().toLowerCase());
    expect(body.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
    expect(body.accessToken.split('.')).toHaveLength(3);

    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`__Secure-airlock_rt=${body.refreshToken}`);
    for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/v1/auth'])
      expect(cookie).toContain(attr);

    const org = await env.DB.prepare(
      `SELECT o.personal, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ?`,
    )
      .bind(body.user.id)
      .all<{ personal: number; role: string }>();
    expect(org.results).toEqual([{ personal: 1, role: 'owner' }]);

    const stored = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
      .bind(body.user.id)
      .first<{ password_hash: string }>();
    expect(stored?.password_hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=1\$/);
    const tokenRow = await env.DB.prepare('SELECT token_hash FROM refresh_tokens WHERE user_id = ?')
      .bind(body.user.id)
      .first<{ token_hash: string }>();
    expect(tokenRow?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenRow?.token_hash).not.toContain(body.refreshToken);
  });

  it('logs in (email case-insensitively) and GET /v1/me answers the user', async () => {
    const user = await registerUser();
    const res = await login(user.user.email.toUpperCase(), user.password);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Session;
    expect(body.user).toEqual(user.user);
    const me = await authFetch('/v1/me', { headers: authHeaders(body.accessToken) });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: user.user.id, email: user.user.email, hasPassword: true });
    expect(me.headers.get('ratelimit-policy')).toBe('"api";q=120;w=60');
  });

  it('refuses a wrong password with the same answer as an unknown email (no enumeration)', async () => {
    const user = await registerUser();
    const wrong = await login(user.user.email, 'not the right password at all');
    const unknown = await login(uniqueEmail('nobody'), 'not the right password at all');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(wrong.status);
    const a = await errorOf(wrong);
    const b = await errorOf(unknown);
    expect({ ...a, requestId: '' }).toEqual({ ...b, requestId: '' });
    expect(a.code).toBe('invalid_credentials');
    expect(a.message).toBe('Invalid email or password.');
  });

  it('registering a taken email answers a generic failure that names no account, for any password', async () => {
    const user = await registerUser();
    const first = await authFetch(
      '/v1/auth/register',
      jsonInit('POST', { email: user.user.email, password: user.password }),
    );
    const second = await authFetch(
      '/v1/auth/register',
      jsonInit('POST', { email: user.user.email.toUpperCase(), password: 'another long passphrase 99' }),
    );
    expect(first.status).toBe(400);
    expect(second.status).toBe(400);
    const a = await errorOf(first);
    const b = await errorOf(second);
    expect({ ...a, requestId: '' }).toEqual({ ...b, requestId: '' });
    expect(a.code).toBe('registration_failed');
    expect(a.message).not.toContain(user.user.email);
  });

  it('validates input the same way whether or not the email exists', async () => {
    const user = await registerUser();
    for (const email of [user.user.email, uniqueEmail()]) {
      const short = await authFetch('/v1/auth/register', jsonInit('POST', { email, password: 'short' }));
      expect(short.status).toBe(400);
      expect(await errorOf(short)).toMatchObject({ code: 'weak_password', problem: 'too_short' });
      const common = await authFetch(
        '/v1/auth/register',
        jsonInit('POST', { email, password: 'Password1234' }),
      );
      expect(await errorOf(common)).toMatchObject({ code: 'weak_password', problem: 'too_common' });
      const long = await authFetch(
        '/v1/auth/register',
        jsonInit('POST', { email, password: 'x1'.repeat(65) }),
      );
      expect(await errorOf(long)).toMatchObject({ code: 'weak_password', problem: 'too_long' });
    }
    const bad = await authFetch(
      '/v1/auth/register',
      jsonInit('POST', { email: 'not-an-email', password: TEST_PASSWORD }),
    );
    expect(await errorOf(bad)).toMatchObject({ code: 'validation_failed' });
    const extra = await authFetch(
      '/v1/auth/register',
      jsonInit('POST', { email: uniqueEmail(), password: TEST_PASSWORD, isAdmin: true }),
    );
    expect(await errorOf(extra)).toMatchObject({ code: 'validation_failed' });
  });

  it('rotates the refresh token on every use and answers a new pair', async () => {
    const user = await registerUser();
    const res = await refresh(user.refreshToken);
    expect(res.status).toBe(200);
    const next = (await res.json()) as Session;
    expect(next.refreshToken).not.toBe(user.refreshToken);
    expect(next.accessToken).not.toBe(user.accessToken);
    expect(next.user).toEqual(user.user);
    expect(next.expiresIn).toBe(900);
    const again = await refresh(next.refreshToken);
    expect(again.status).toBe(200);
  });

  it('accepts the refresh token from the cookie when the body has none', async () => {
    const user = await registerUser();
    const res = await authFetch('/v1/auth/refresh', {
      method: 'POST',
      headers: { Cookie: `__Secure-airlock_rt=${user.refreshToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toContain('__Secure-airlock_rt=rt_');
  });

  it('logout revokes the family: neither the token nor its successors refresh any more', async () => {
    const user = await registerUser();
    const rotated = (await (await refresh(user.refreshToken)).json()) as Session;
    const out = await authFetch('/v1/auth/logout', jsonInit('POST', { refreshToken: rotated.refreshToken }));
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/__Secure-airlock_rt=;.*Max-Age=0/);
    const after = await refresh(rotated.refreshToken);
    expect(after.status).toBe(401);
    expect((await errorOf(after)).code).toBe('invalid_refresh_token');
  });

  it('refuses an unknown or malformed refresh token without echoing it', async () => {
    for (const token of ['rt_unknown', 'garbage-token-value']) {
      const res = await refresh(token);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(token);
    }
    const none = await authFetch('/v1/auth/refresh', { method: 'POST' });
    expect(none.status).toBe(401);
  });
});
