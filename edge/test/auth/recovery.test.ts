import { env } from 'cloudflare:test';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../src/lib/bytes.ts';
import { authFetch, authHeaders, errorOf, jsonInit, registerUser } from '../helpers.ts';
import { as, json, mintApiKey, secretOverrides, tenant } from '../tenancy/fixtures.ts';

/**
 * Issue 12, items 3 and 11: a reset kills what was issued before it (access tokens, API keys);
 * sensitive routes need a recent sign-in (sudo mode); signing keys rotate with a key id.
 */

const tokenIn = (body: string) => /#token=(pr_[A-Za-z0-9_-]+)/.exec(body)?.[1] ?? '';
const key = () => fromBase64Url(env.JWT_SIGNING_KEY) as Uint8Array;

async function resetMail(email: string): Promise<string> {
  const row = await env.DB.prepare('SELECT body FROM outbox WHERE recipient = ? ORDER BY created_at DESC')
    .bind(email)
    .first<{ body: string }>();
  return row?.body ?? '';
}

/** An access token for `userId` whose sign-in happened `ageS` seconds ago. */
async function tokenSignedInAgo(userId: string, ageS: number, secret = key(), kid = 'k1') {
  const now = Date.now() / 1000;
  return new SignJWT({ auth_time: now - ageS })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
    .setIssuer('airlock')
    .setAudience('airlock-api')
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setJti(crypto.randomUUID())
    .sign(secret);
}

describe('a password reset ends what was issued before it', () => {
  it('kills an access token issued before it on the next request, and revokes every API key', async () => {
    const t = await tenant();
    const apiKey = await mintApiKey(t);
    expect((await as(apiKey.key, '/v1/orgs')).status).toBe(200);
    expect((await as(t.token, '/v1/me')).status).toBe(200);

    expect(
      (await authFetch('/v1/auth/password/forgot', jsonInit('POST', { email: t.user.user.email }))).status,
    ).toBe(202);
    const mail = await resetMail(t.user.user.email);
    expect(mail).toContain('revokes all your API keys');
    const done = await authFetch(
      '/v1/auth/password/reset',
      jsonInit('POST', { token: tokenIn(mail), password: 'a recovered passphrase 99' }),
    );
    expect(done.status).toBe(204);

    // The access token is 15 minutes from expiry, yet dead now.
    expect((await as(t.token, '/v1/me')).status).toBe(401);
    expect((await as(apiKey.key, '/v1/orgs')).status).toBe(401);
    const keys = await env.DB.prepare('SELECT revoked_at FROM api_keys WHERE user_id = ?')
      .bind(t.user.user.id)
      .all<{ revoked_at: number | null }>();
    expect(keys.results.every((k) => k.revoked_at !== null)).toBe(true);
    // A session started after the reset works.
    const login = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: t.user.user.email, password: 'a recovered passphrase 99' }),
    );
    const fresh = await json<{ accessToken: string }>(login, 200);
    expect((await as(fresh.accessToken, '/v1/me')).status).toBe(200);
  });

  it('a password change kills older access tokens and, when asked, the API keys too', async () => {
    const t = await tenant();
    const apiKey = await mintApiKey(t);
    const res = await as(t.token, '/v1/me/password', {
      method: 'PUT',
      body: { currentPassword: t.user.password, newPassword: 'a changed passphrase 12', revokeApiKeys: true },
    });
    expect(res.status).toBe(204);
    expect((await as(t.token, '/v1/me')).status).toBe(401);
    expect((await as(apiKey.key, '/v1/orgs')).status).toBe(401);
  });
});

describe('sudo mode: recent authentication for sensitive routes', () => {
  const newKey = { name: 'ci', scopes: ['runs:read'] };

  it('API key creation with a sign-in older than 5 minutes: 403 reauthentication_required, then reauth and retry', async () => {
    const user = await registerUser();
    const stale = await tokenSignedInAgo(user.user.id, 301);
    const refused = await as(stale, '/v1/api-keys', { body: newKey });
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe('reauthentication_required');
    // The control: the same route with a recent sign-in works.
    expect(
      (await as(await tokenSignedInAgo(user.user.id, 10), '/v1/api-keys', { body: newKey })).status,
    ).toBe(201);

    const wrong = await as(stale, '/v1/auth/reauth', { body: { password: 'not the password at all' } });
    expect((await errorOf(wrong)).code).toBe('password_incorrect');
    const reauth = await json<{ accessToken: string }>(
      await as(stale, '/v1/auth/reauth', { body: { password: user.password } }),
      200,
    );
    expect((await as(reauth.accessToken, '/v1/api-keys', { body: newKey })).status).toBe(201);
  });

  it('account deletion and member removal need a recent sign-in too', async () => {
    const user = await registerUser();
    const stale = await tokenSignedInAgo(user.user.id, 600);
    const del = await as(stale, '/v1/me', { method: 'DELETE', body: { password: user.password } });
    expect((await errorOf(del)).code).toBe('reauthentication_required');
    const remove = await as(stale, '/v1/orgs/some-org/members/some-user', { method: 'DELETE' });
    expect((await errorOf(remove)).code).toBe('reauthentication_required');
  });

  it('a refreshed session keeps its original sign-in time (refreshing is not re-authenticating)', async () => {
    const user = await registerUser();
    const refreshed = await json<{ accessToken: string }>(
      await authFetch('/v1/auth/refresh', jsonInit('POST', { refreshToken: user.refreshToken })),
      200,
    );
    const payload = (t: string) =>
      JSON.parse(new TextDecoder().decode(fromBase64Url(t.split('.')[1] ?? '') as Uint8Array)) as {
        auth_time: number;
      };
    expect(payload(refreshed.accessToken).auth_time).toBe(payload(user.accessToken).auth_time);
  });
});

describe('signing-key rotation', () => {
  it('a token signed by the previous key works until that key is removed; new tokens use the current', async () => {
    const user = await registerUser();
    const oldToken = user.accessToken; // signed with JWT_SIGNING_KEY, kid k1
    const rotated = secretOverrides({
      JWT_SIGNING_KEY: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
      JWT_SIGNING_KEY_ID: 'k2',
      JWT_PREVIOUS_SIGNING_KEY: env.JWT_SIGNING_KEY,
      JWT_PREVIOUS_SIGNING_KEY_ID: 'k1',
    });
    expect((await authFetch('/v1/me', { headers: authHeaders(oldToken) }, rotated)).status).toBe(200);
    const login = await json<{ accessToken: string }>(
      await authFetch(
        '/v1/auth/login',
        jsonInit('POST', { email: user.user.email, password: user.password }),
        rotated,
      ),
      200,
    );
    const header = JSON.parse(
      new TextDecoder().decode(fromBase64Url(login.accessToken.split('.')[0] ?? '') as Uint8Array),
    ) as { kid: string };
    expect(header.kid).toBe('k2');
    expect((await authFetch('/v1/me', { headers: authHeaders(login.accessToken) }, rotated)).status).toBe(
      200,
    );

    // The previous key removed: its tokens stop; a token naming an unknown kid is refused.
    const afterRemoval = secretOverrides({
      JWT_SIGNING_KEY: (rotated as Record<string, string>).JWT_SIGNING_KEY ?? '',
      JWT_SIGNING_KEY_ID: 'k2',
    });
    expect((await authFetch('/v1/me', { headers: authHeaders(oldToken) }, afterRemoval)).status).toBe(401);
    expect(
      (await authFetch('/v1/me', { headers: authHeaders(login.accessToken) }, afterRemoval)).status,
    ).toBe(200);
  });

  it('refuses a previous key without an id, or with the current id', async () => {
    const res = await authFetch(
      '/v1/me',
      {},
      secretOverrides({ JWT_PREVIOUS_SIGNING_KEY: env.JWT_SIGNING_KEY, JWT_PREVIOUS_SIGNING_KEY_ID: 'k1' }),
    );
    expect(res.status).toBe(500);
    expect((await errorOf(res)).code).toBe('server_misconfigured');
  });
});
