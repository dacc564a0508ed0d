import { env } from 'cloudflare:test';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueAccessToken, type SigningKey, verifyAccessToken } from '../../src/domain/auth/access-token.ts';
import { fromBase64Url, toBase64Url } from '../../src/lib/bytes.ts';
import { authFetch, errorOf, FAST_HASH_ENV, fetchAppLogged, registerUser } from '../helpers.ts';

/**
 * Access-token verification (RFC 8725 JWT BCP, RFC 9068): every forged or malformed token is
 * refused with the same generic 401, and the token is never echoed.
 */

const key = () => fromBase64Url(env.JWT_SIGNING_KEY) as Uint8Array;
const nowS = () => Math.floor(Date.now() / 1000);
const enc = (obj: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(obj)));

function claims(userId: string, overrides: Record<string, unknown> = {}) {
  return {
    iss: 'airlock',
    aud: 'airlock-api',
    sub: userId,
    iat: nowS(),
    exp: nowS() + 600,
    jti: crypto.randomUUID(),
    ...overrides,
  };
}

async function sign(payload: Record<string, unknown>, header: Record<string, unknown> = {}, secret = key()) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', ...header } as { alg: string })
    .sign(secret);
}

async function me(token: string, init: RequestInit = {}, path = '/v1/me') {
  return authFetch(path, { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } });
}

async function expectRejected(token: string) {
  const res = await me(token);
  expect(res.status).toBe(401);
  const text = await res.text();
  expect(text).not.toContain(token);
  expect(JSON.parse(text).error.code).toBe('unauthorized');
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="airlock"');
}

describe('access token verification', () => {
  it('accepts a well-formed token built the same way (the control for the attacks below)', async () => {
    const user = await registerUser();
    expect((await me(await sign(claims(user.user.id)))).status).toBe(200);
    expect((await me(user.accessToken)).status).toBe(200);
  });

  it('refuses alg "none" in any casing', async () => {
    const user = await registerUser();
    for (const alg of ['none', 'noNE', 'NONE']) {
      await expectRejected(`${enc({ alg, typ: 'at+jwt' })}.${enc(claims(user.user.id))}.`);
    }
  });

  it('refuses a token signed with an asymmetric key, and an HMAC keyed with a public key', async () => {
    const user = await registerUser();
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    await expectRejected(
      await new SignJWT(claims(user.user.id))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
        .sign(privateKey),
    );
    const rsa = await generateKeyPair('RS256');
    await expectRejected(
      await new SignJWT(claims(user.user.id))
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' })
        .sign(rsa.privateKey),
    );
    // Key confusion: the attacker uses a public key (PEM) as the HMAC secret.
    const pem = new TextEncoder().encode(await exportSPKI(publicKey));
    await expectRejected(await sign(claims(user.user.id), {}, pem));
  });

  it('refuses another HMAC algorithm even with the right key (the algorithm is pinned)', async () => {
    const user = await registerUser();
    await expectRejected(await sign(claims(user.user.id), { alg: 'HS512' }));
  });

  it('refuses a wrong audience, issuer or typ, and a missing typ', async () => {
    const user = await registerUser();
    await expectRejected(await sign(claims(user.user.id, { aud: 'another-api' })));
    await expectRejected(await sign(claims(user.user.id, { iss: 'https://evil.example' })));
    await expectRejected(await sign(claims(user.user.id), { typ: 'JWT' }));
    await expectRejected(
      await new SignJWT(claims(user.user.id)).setProtectedHeader({ alg: 'HS256' }).sign(key()),
    );
  });

  it('refuses tokens missing exp, iat, sub or jti', async () => {
    const user = await registerUser();
    for (const missing of ['exp', 'iat', 'sub', 'jti']) {
      const payload: Record<string, unknown> = claims(user.user.id);
      delete payload[missing];
      await expectRejected(await sign(payload));
    }
  });

  it('refuses an expired token beyond the 5 s tolerance, accepts one within it', async () => {
    const user = await registerUser();
    await expectRejected(await sign(claims(user.user.id, { iat: nowS() - 1000, exp: nowS() - 30 })));
    expect((await me(await sign(claims(user.user.id, { iat: nowS() - 900, exp: nowS() - 2 })))).status).toBe(
      200,
    );
  });

  it('refuses a tampered payload', async () => {
    const victim = await registerUser();
    const attacker = await registerUser();
    const [header, , signature] = attacker.accessToken.split('.');
    const forged = `${header}.${enc(claims(victim.user.id))}.${signature}`;
    await expectRejected(forged);
  });

  it('issues 15-minute at+jwt tokens with the required claims', async () => {
    const user = await registerUser();
    const [h, p] = user.accessToken.split('.') as [string, string];
    const decode = (s: string) => JSON.parse(new TextDecoder().decode(fromBase64Url(s) as Uint8Array));
    // The key id names the signing key, so keys can rotate (docs/auth.md).
    expect(decode(h)).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' });
    const payload = decode(p);
    expect(payload).toMatchObject({ iss: 'airlock', aud: 'airlock-api', sub: user.user.id });
    expect(payload.exp - payload.iat).toBeCloseTo(900, 6);
    // Sign-in time (OIDC auth_time) for sudo mode: at registration, the session's start.
    expect(payload.auth_time).toBeCloseTo(payload.iat, 0);
    expect(typeof payload.jti).toBe('string');
  });

  it('never reads a token from the query string or a non-Bearer scheme', async () => {
    const user = await registerUser();
    for (const param of ['access_token', 'token', 'jwt']) {
      const res = await authFetch(`/v1/me?${param}=${user.accessToken}`);
      expect(res.status).toBe(401);
    }
    const lower = await authFetch('/v1/me', { headers: { Authorization: `bearer ${user.accessToken}` } });
    expect(lower.status).toBe(200);
    const basic = await authFetch('/v1/me', { headers: { Authorization: `Basic ${user.accessToken}` } });
    expect(basic.status).toBe(401);
    const cookie = await authFetch('/v1/me', { headers: { Cookie: `access_token=${user.accessToken}` } });
    expect(cookie.status).toBe(401);
  });

  it('does not log the token when refusing it', async () => {
    const forged = `${enc({ alg: 'none' })}.${enc(claims('someone'))}.`;
    const { res, logs } = await fetchAppLogged(
      'http://127.0.0.1/v1/me',
      { headers: { Authorization: `Bearer ${forged}`, 'CF-Connecting-IP': '203.0.113.77' } },
      FAST_HASH_ENV,
    );
    expect(res.status).toBe(401);
    expect(logs.join('\n')).toContain('access_token_invalid');
    expect(logs.join('\n')).not.toContain(forged);
  });
});

describe('signing key validation (startup config)', () => {
  for (const [label, value] of [
    ['missing', undefined],
    ['too short (16 bytes)', toBase64Url(crypto.getRandomValues(new Uint8Array(16)))],
    ['not base64url', 'this is not a key!'],
  ] as const) {
    it(`a ${label} JWT_SIGNING_KEY stops every request with 500 server_misconfigured and a log line`, async () => {
      for (const path of ['/healthz', '/v1/auth/login']) {
        const { res, logs } = await fetchAppLogged(`http://127.0.0.1${path}`, {}, {
          JWT_SIGNING_KEY: value,
        } as unknown as Partial<Env>);
        expect(res.status).toBe(500);
        expect((await errorOf(res)).code).toBe('server_misconfigured');
        const out = logs.join('\n');
        expect(out).toContain('invalid configuration');
        expect(out).toContain('JWT_SIGNING_KEY');
        if (value) expect(out).not.toContain(value);
      }
    });
  }
});

describe('verifying keys cached per isolate', () => {
  it('verifies with the key the configuration holds now: a rotated key of the same kid is not served from the cache', async () => {
    const keyA = Object.freeze({ kid: 'k1', key: crypto.getRandomValues(new Uint8Array(32)) });
    const keyB = Object.freeze({ kid: 'k1', key: crypto.getRandomValues(new Uint8Array(32)) });
    const settings = (k: SigningKey) => ({
      signingKeys: { current: k, verifying: [k] },
      issuer: 'airlock',
      audience: 'airlock-api',
    });
    const now = Date.now();
    const subject = { userId: 'user-1', authenticatedAt: now };
    const byA = (await issueAccessToken({ ...settings(keyA), ttlSeconds: 600 }, subject, now)).token;
    const byB = (await issueAccessToken({ ...settings(keyB), ttlSeconds: 600 }, subject, now)).token;
    // Twice each: the second verification uses the cached key.
    for (let i = 0; i < 2; i++) {
      expect((await verifyAccessToken(settings(keyA), byA, now)).ok).toBe(true);
      expect(await verifyAccessToken(settings(keyB), byA, now)).toEqual({ ok: false, reason: 'invalid' });
      expect((await verifyAccessToken(settings(keyB), byB, now)).ok).toBe(true);
      expect(await verifyAccessToken(settings(keyA), byB, now)).toEqual({ ok: false, reason: 'invalid' });
    }
  });
});
