import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decideRate, EMPTY_RATE_STATE, type RateState } from '../../src/domain/auth/rate-limit.ts';
import { RateLimiter } from '../../src/durable-objects/rate-limiter.ts';
import {
  authFetch,
  authHeaders,
  errorOf,
  jsonInit,
  registerUser,
  uniqueEmail,
  uniqueIp,
} from '../helpers.ts';

/** Rate limits (seed: 5 logins/min/IP, 3 registrations/min/IP, 3 resets/hour/IP, 120 API calls/min). */

const MINUTE = 60_000;
const rule = { limit: 5, windowMs: MINUTE };

describe('decideRate (pure sliding log)', () => {
  it('lets exactly `limit` through in a window, then says when to retry', () => {
    let state: RateState = EMPTY_RATE_STATE;
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 5; i++) {
      const d = decideRate(state, rule, t0 + i * 1000);
      expect(d.allowed).toBe(true);
      expect(d.remaining).toBe(4 - i);
      state = d.state;
    }
    const refused = decideRate(state, rule, t0 + 10_000);
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
    expect(refused.retryAfterMs).toBe(50_000);
    expect(refused.state).toEqual(state); // refusals are not recorded
    // One slot frees when the oldest hit leaves the window, not before.
    expect(decideRate(state, rule, t0 + MINUTE - 1).allowed).toBe(false);
    const later = decideRate(state, rule, t0 + MINUTE);
    expect(later.allowed).toBe(true);
    expect(decideRate(later.state, rule, t0 + MINUTE).allowed).toBe(false);
  });

  it('holds over every window, not only aligned ones (no 2N burst at a boundary)', () => {
    let state: RateState = EMPTY_RATE_STATE;
    let allowed = 0;
    const t0 = 5_000;
    // 5 at the end of one minute, then 5 more attempts just after the "boundary".
    for (const t of [59_000, 59_100, 59_200, 59_300, 59_400, 60_100, 60_200, 61_000, 62_000, 63_000]) {
      const d = decideRate(state, rule, t0 + t);
      if (d.allowed) allowed++;
      state = d.state;
    }
    expect(allowed).toBe(5);
  });

  it('keeps at most `limit` timestamps, also after the limit is lowered', () => {
    const many: RateState = { hits: Array.from({ length: 50 }, (_, i) => 1000 + i) };
    const d = decideRate(many, { limit: 3, windowMs: MINUTE }, 2000);
    expect(d.allowed).toBe(false);
    expect(d.state.hits).toHaveLength(3);
  });
});

describe('RateLimiter Durable Object', () => {
  it('resets after the window with an injected clock, and survives eviction (state is in storage)', async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`test:${crypto.randomUUID()}`));
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) expect((await stub.hit(rule, t0 + i)).allowed).toBe(true);
    const refused = await stub.hit(rule, t0 + 10);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(MINUTE - 10);

    // A new instance over the same storage (what eviction and restart give) still refuses.
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      const fresh = new RateLimiter(state, env);
      expect(fresh.hit(rule, t0 + 20).allowed).toBe(false);
    });

    expect((await stub.hit(rule, t0 + MINUTE)).allowed).toBe(true);
    expect((await stub.hit(rule, t0 + MINUTE + 1)).allowed).toBe(true);
  });

  it('admit: several quotas of one object in one call, in order; the first refusal counts nothing after it', async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`test:${crypto.randomUUID()}`));
    const a = { key: 'a', rule: { limit: 2, windowMs: MINUTE } };
    const b = { key: 'b', rule: { limit: 1, windowMs: MINUTE } };
    const allowed = async (checks: (typeof a)[], now: number) =>
      (await stub.admit(checks, now)).map((d) => d.allowed);
    const t0 = Date.now();
    expect(await allowed([a, b], t0)).toEqual([true, true]);
    // b is spent: a is still counted (it was checked first), b refused.
    expect(await allowed([a, b], t0 + 1)).toEqual([true, false]);
    // a is spent too: refused first, b neither checked nor counted.
    expect(await allowed([a, b], t0 + 2)).toEqual([false]);
    // Each key is its own quota within the object.
    expect(await allowed([{ key: 'c', rule: b.rule }], t0 + 3)).toEqual([true]);
    // Once the window has passed, both are free again.
    expect(await allowed([a, b], t0 + MINUTE + 1)).toEqual([true, true]);
  });

  it('cleans up after the longest window with one alarm, not moved on every call', async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`test:${crypto.randomUUID()}`));
    const short = { key: 'short', rule: { limit: 10, windowMs: MINUTE } };
    const long = { key: 'long', rule: { limit: 10, windowMs: 10 * MINUTE } };
    await stub.admit([short], Date.now());
    const first = await runInDurableObject(stub, (_o: RateLimiter, state) => state.storage.getAlarm());
    expect(first).toBeGreaterThan(Date.now());
    // A later call with a longer window moves the cleanup time, not the pending alarm.
    await stub.admit([long], Date.now());
    const [alarm, cleanupAt] = await runInDurableObject(stub, async (_o: RateLimiter, state) => [
      await state.storage.getAlarm(),
      state.storage.kv.get<number>('cleanupAt'),
    ]);
    expect(alarm).toBe(first);
    expect(cleanupAt).toBeGreaterThan((first ?? 0) + 8 * MINUTE);
    // The early alarm keeps the counts and moves itself to the cleanup time…
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await runInDurableObject(stub, async (_o: RateLimiter, state) => ({
      alarm: await state.storage.getAlarm(),
      count: [...state.storage.kv.list({ prefix: 'q:' })].length,
    }));
    expect(after).toEqual({ alarm: cleanupAt, count: 2 });
    // …and once that has passed, the object forgets everything.
    await runInDurableObject(stub, (_o: RateLimiter, state) =>
      state.storage.kv.put('cleanupAt', Date.now() - 1),
    );
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(
      stub,
      (_o: RateLimiter, state) => [...state.storage.kv.list()].length,
    );
    expect(left).toBe(0);
  });
});

const login = (ip: string | null, extra: Record<string, string> = {}) =>
  authFetch(
    '/v1/auth/login',
    jsonInit(
      'POST',
      { email: uniqueEmail('nobody'), password: 'not a real password 1' },
      ip ? { 'CF-Connecting-IP': ip, ...extra } : extra,
    ),
  );

describe('limits on the routes', () => {
  it('20 parallel logins from one IP: exactly 5 are processed, 15 get 429 with Retry-After', async () => {
    const ip = uniqueIp();
    const results = await Promise.all(Array.from({ length: 20 }, () => login(ip)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    for (const res of results) {
      expect(res.headers.get('ratelimit-policy')).toBe('"login";q=5;w=60');
      expect(res.headers.get('ratelimit')).toMatch(/^"login";r=\d;t=\d+$/);
      if (res.status === 429) {
        const retry = Number(res.headers.get('retry-after'));
        expect(retry).toBeGreaterThanOrEqual(1);
        expect(retry).toBeLessThanOrEqual(60);
        expect(res.headers.get('ratelimit')).toMatch(/^"login";r=0;t=\d+$/);
        expect((await errorOf(res)).code).toBe('rate_limited');
      }
    }
    // Another IP is not affected.
    expect((await login(uniqueIp())).status).toBe(401);
  });

  it('every limit is exact under concurrency: registration, forgot + reset, authenticated API', async () => {
    const regIp = uniqueIp();
    const registrations = await Promise.all(
      Array.from({ length: 10 }, () =>
        authFetch(
          '/v1/auth/register',
          jsonInit(
            'POST',
            { email: uniqueEmail(), password: 'a long enough passphrase' },
            { 'CF-Connecting-IP': regIp },
          ),
        ),
      ),
    );
    expect(registrations.map((r) => r.status).sort()).toEqual([...Array(3).fill(201), ...Array(7).fill(429)]);

    const pwIp = { 'CF-Connecting-IP': uniqueIp() };
    const password = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? authFetch('/v1/auth/password/forgot', jsonInit('POST', { email: uniqueEmail() }, pwIp))
          : authFetch(
              '/v1/auth/password/reset',
              jsonInit('POST', { token: 'pr_x', password: 'a long enough passphrase' }, pwIp),
            ),
      ),
    );
    expect(password.filter((r) => r.status !== 429)).toHaveLength(3);

    const user = await registerUser();
    const api = await Promise.all(
      Array.from({ length: 30 }, () =>
        authFetch('/v1/me', { headers: authHeaders(user.accessToken) }, {
          RATE_LIMIT_API: '12/1m',
        } as Partial<Env>),
      ),
    );
    expect(api.filter((r) => r.status === 200)).toHaveLength(12);
    expect(api.filter((r) => r.status === 429)).toHaveLength(18);
  });

  it('keys on CF-Connecting-IP only: X-Forwarded-For cannot buy a fresh quota', async () => {
    const ip = uniqueIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(ip, { 'X-Forwarded-For': uniqueIp() })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('without CF-Connecting-IP (local dev) every caller shares one "unknown" bucket', async () => {
    const res = await authFetch('/v1/auth/login', {
      ...jsonInit('POST', { email: uniqueEmail(), password: 'not a real password 1' }),
      headers: { 'content-type': 'application/json', 'CF-Connecting-IP': '' },
    });
    expect(res.headers.get('ratelimit-policy')).toBe('"login";q=5;w=60');
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName('login:ip:unknown'));
    const count = await runInDurableObject(stub, (_i: RateLimiter, state) => {
      return state.storage.kv.get<RateState>('state')?.hits.length ?? 0;
    });
    expect(count).toBeGreaterThanOrEqual(1);
  });

  it('registration: 3 per minute per IP', async () => {
    const ip = uniqueIp();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await authFetch(
        '/v1/auth/register',
        jsonInit(
          'POST',
          { email: uniqueEmail(), password: 'a long enough passphrase' },
          { 'CF-Connecting-IP': ip },
        ),
      );
      statuses.push(res.status);
      expect(res.headers.get('ratelimit-policy')).toBe('"register";q=3;w=60');
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it('forgot and reset share 3 per hour per IP', async () => {
    const ip = uniqueIp();
    const h = { 'CF-Connecting-IP': ip };
    const forgot = () => authFetch('/v1/auth/password/forgot', jsonInit('POST', { email: uniqueEmail() }, h));
    const reset = () =>
      authFetch(
        '/v1/auth/password/reset',
        jsonInit('POST', { token: 'pr_nope', password: 'a long enough passphrase' }, h),
      );
    expect((await forgot()).status).toBe(202);
    expect((await reset()).status).toBe(400);
    const third = await forgot();
    expect(third.status).toBe(202);
    expect(third.headers.get('ratelimit-policy')).toBe('"password";q=3;w=3600');
    const fourth = await reset();
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect((await forgot()).status).toBe(429);
  });

  it('authenticated API: per principal, limits configurable', async () => {
    const a = await registerUser();
    const b = await registerUser();
    const small = { RATE_LIMIT_API: '3/1m' } as Partial<Env>;
    const get = (token: string) => authFetch('/v1/me', { headers: authHeaders(token) }, small);
    const statuses: number[] = [];
    // Different client IPs: the quota follows the principal, not the address.
    for (let i = 0; i < 4; i++) statuses.push((await get(a.accessToken)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const other = await get(b.accessToken);
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-policy')).toBe('"api";q=3;w=60');
    expect(other.headers.get('ratelimit')).toMatch(/^"api";r=2;t=(59|60)$/);
  });

  it('admission sent alongside the revocation read: a revoked token is still 401, never 429; one hit per request', async () => {
    const user = await registerUser();
    const small = { RATE_LIMIT_API: '2/1m' } as Partial<Env>;
    const get = (path: string) => authFetch(path, { headers: authHeaders(user.accessToken) }, small);
    // Counted once per request, though the check is sent before the middleware that decides it.
    const first = await get('/v1/runs?limit=1');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit')).toMatch(/^"api";r=1;t=\d+$/);
    expect((await get('/v1/me')).status).toBe(200);
    expect((await get('/v1/me')).status).toBe(429);
    // The user's tokens are revoked (as a password reset does): the revocation read decides first.
    await env.DB.prepare('UPDATE users SET tokens_valid_after = ? WHERE id = ?')
      .bind(Date.now() + 60_000, user.user.id)
      .run();
    for (const path of ['/v1/me', '/v1/runs?limit=1']) {
      const revoked = await get(path);
      expect(revoked.status).toBe(401);
      expect(revoked.headers.get('ratelimit')).toBeNull();
    }
  });

  it('a malformed limit setting stops requests with server_misconfigured', async () => {
    const res = await authFetch('/v1/auth/login', jsonInit('POST', {}), {
      RATE_LIMIT_LOGIN: 'lots',
    } as Partial<Env>);
    expect(res.status).toBe(500);
    expect((await errorOf(res)).code).toBe('server_misconfigured');
  });
});
