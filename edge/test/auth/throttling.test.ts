import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.ts';
import {
  authFetch,
  errorOf,
  FAST_HASH_ENV,
  jsonInit,
  registerUser,
  uniqueEmail,
  uniqueIp,
} from '../helpers.ts';

/** Issue 12, items 2, 4, 5 and 7: throttles that hold across IPs and before D1, uniform work, cookie mode. */

const login = (email: string, password: string, ip: string, overrides: Partial<Env> = {}) =>
  authFetch('/v1/auth/login', jsonInit('POST', { email, password }, { 'cf-connecting-ip': ip }), overrides);

let v6Counter = 0;
/** A fresh /64 (documentation prefix 2001:db8::/32) per call. */
function fresh64(): string {
  v6Counter += 1;
  return `2001:db8:${(Math.floor(Math.random() * 0xffff)).toString(16)}:${v6Counter.toString(16)}`;
}

afterEach(() => vi.restoreAllMocks());

describe('IPv6 clients are keyed by their /64', () => {
  it('addresses of one /64 share one login bucket; another /64 has its own', async () => {
    const net = fresh64();
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++)
      statuses.push((await login(uniqueEmail(), 'x'.repeat(12), `${net}::${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await login(uniqueEmail(), 'x'.repeat(12), `${fresh64()}::1`)).status).toBe(401);
  });
});

describe('per-account throttling works across IPs and never reveals existence', () => {
  it('from 20 different IPs: the same 10 failures then 429s for a real and an unknown account', async () => {
    const user = await registerUser();
    const ghost = uniqueEmail('ghost');
    const run = async (email: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++)
        statuses.push((await login(email, 'wrong password guess', uniqueIp())).status);
      return statuses;
    };
    const real = await run(user.user.email);
    const unknown = await run(ghost);
    expect(real).toEqual([...Array(10).fill(401), ...Array(10).fill(429)]);
    expect(unknown).toEqual(real);
    // Even the right password waits out the window: the throttle sits before the password check.
    const right = await login(user.user.email, user.password, uniqueIp());
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toBeTruthy();
    // Another account is unaffected.
    const other = await registerUser();
    expect((await login(other.user.email, other.password, uniqueIp())).status).toBe(200);
  });

  it('forgot-password requests are counted per account across IPs too', async () => {
    const email = uniqueEmail();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await authFetch('/v1/auth/password/forgot', jsonInit('POST', { email }))).status);
    }
    expect(statuses).toEqual([...Array(10).fill(202), 429]);
  });
});

describe('refresh and logout are rate limited', () => {
  it('per IP, with the IETF headers', async () => {
    const ip = uniqueIp();
    const limits = { RATE_LIMIT_REFRESH: '2/1m', RATE_LIMIT_LOGOUT: '2/1m' } as Partial<Env>;
    for (const path of ['/v1/auth/refresh', '/v1/auth/logout']) {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await authFetch(
          path,
          jsonInit('POST', { refreshToken: 'rt_nothing' }, { 'cf-connecting-ip': ip }),
          limits,
        );
        statuses.push(res.status);
      }
      expect(statuses.slice(2)).toEqual([429]);
      expect(statuses.slice(0, 2).every((s) => s !== 429)).toBe(true);
    }
  });
});

/** The app with an instrumented D1 binding: every prepare/batch is counted. */
function countingApp(overrides: Partial<Env> = {}) {
  const calls = { d1: 0 };
  const db = new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === 'prepare' || prop === 'batch' || prop === 'exec') calls.d1 += 1;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const pending: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: Promise<unknown>) => pending.push(p),
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext;
  const app = createApp({ logSink: () => {} });
  const request = (path: string, init: RequestInit) =>
    app.request(
      new URL(path, 'http://127.0.0.1:8787').toString(),
      init,
      { ...env, ...FAST_HASH_ENV, ...overrides, DB: db },
      ctx,
    );
  return { calls, pending, request };
}

describe('failed authentications are limited per IP before D1 is touched', () => {
  it('after the limit, even a well-formed API key is refused with 429 and no D1 read', async () => {
    const { calls, request } = countingApp({ RATE_LIMIT_AUTH_FAILURES: '3/1m' } as Partial<Env>);
    const ip = uniqueIp();
    const bad = (token: string) =>
      request('/v1/orgs', { headers: { Authorization: `Bearer ${token}`, 'cf-connecting-ip': ip } });
    const fake = `ak_${'a'.repeat(8)}_${'b'.repeat(43)}`;
    for (let i = 0; i < 3; i++) expect((await bad(fake)).status).toBe(401);
    const before = calls.d1;
    const blocked = await bad(fake);
    expect(blocked.status).toBe(429);
    expect((await errorOf(blocked)).code).toBe('rate_limited');
    expect(calls.d1).toBe(before);
    // Bad access tokens count too (checked by signature, no D1), and are refused while blocked.
    expect((await bad('not.a.jwt')).status).toBe(429);
    // The control: another IP is not blocked.
    const other = await request('/v1/orgs', {
      headers: { Authorization: `Bearer ${fake}`, 'cf-connecting-ip': uniqueIp() },
    });
    expect(other.status).toBe(401);
  });
});

describe('forgot-password does the same work for known and unknown emails', () => {
  it('one D1 read and one SHA-256 before the 202 either way; the rest runs after the response', async () => {
    const user = await registerUser();
    const measure = async (email: string) => {
      const { calls, pending, request } = countingApp();
      const digest = vi.spyOn(crypto.subtle, 'digest');
      const res = await request(
        '/v1/auth/password/forgot',
        jsonInit('POST', { email }, { 'cf-connecting-ip': uniqueIp() }),
      );
      const work = {
        status: res.status,
        body: await res.text(),
        d1: calls.d1,
        digests: digest.mock.calls.length,
      };
      digest.mockRestore();
      await Promise.all(pending);
      return work;
    };
    const known = await measure(user.user.email);
    const unknown = await measure(uniqueEmail('ghost'));
    expect(known.status).toBe(202);
    expect(unknown).toEqual(known);
    // The work after the response did differ: only the known account got a reset row and mail.
    const rows = await env.DB.prepare('SELECT count(*) AS n FROM password_resets WHERE user_id = ?')
      .bind(user.user.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });
});

describe('cookie-only sessions', () => {
  it('with X-Airlock-Session: cookie the body has no refresh token; the cookie carries it', async () => {
    const user = await registerUser();
    const cookieMode = { 'X-Airlock-Session': 'cookie' };
    const res = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: user.user.email, password: user.password }, cookieMode),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty('refreshToken');
    expect(body.accessToken).toBeTruthy();
    const cookie = /__Secure-airlock_rt=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    expect(cookie).toMatch(/^rt_/);
    const refreshed = await authFetch('/v1/auth/refresh', {
      method: 'POST',
      headers: { ...cookieMode, cookie: `__Secure-airlock_rt=${cookie}` },
    });
    expect(refreshed.status).toBe(200);
    expect(await refreshed.json()).not.toHaveProperty('refreshToken');
    // Without the header the contract is unchanged.
    const plain = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: user.user.email, password: user.password }),
    );
    expect(await plain.json()).toHaveProperty('refreshToken');
  });
});
