import { env } from 'cloudflare:test';
import { SignJWT } from 'jose';
import { expect } from 'vitest';
import { fromBase64Url } from '../../src/lib/bytes.ts';
import { authFetch, authHeaders, jsonInit, uniqueIp } from '../helpers.ts';

/**
 * Drives OAuth flows the way a browser would, against the real local provider servers: the edge's
 * start (302 to the provider, flow cookie set), the provider's authorization (302 back to the
 * callback; the test chooses the provider user with `test_*` parameters, see harness/), and the
 * callback with the cookie (303 to the console, refresh cookie set on success).
 */

export type Provider = 'google' | 'github';

export interface Scenario {
  /** Provider user: Google's sub or GitHub's numeric id. */
  id?: string;
  email?: string;
  emailVerified?: boolean;
  /** Google only: epoch seconds of the provider sign-in. */
  authTime?: number;
  /** Google only: how the ID token is broken. */
  tamper?: 'aud' | 'iss' | 'nonce' | 'expired' | 'alg_none';
}

export interface Started {
  authorizeUrl: URL;
  /** `name=value` of the flow cookie, as a browser would send it back. */
  flowCookie: string;
  ip: string;
}

export function cookiesOf(res: Response): string[] {
  return res.headers.getSetCookie();
}

export function cookieNamed(res: Response, name: string): string | null {
  const line = cookiesOf(res).find((l) => l.startsWith(`${name}=`));
  return line ? (line.split(';')[0] ?? null) : null;
}

export const FLOW_COOKIE = '__Secure-airlock_oauth';
export const REFRESH_COOKIE = '__Secure-airlock_rt';

/** Where a start or link/reauth answer sends the browser, and the flow cookie it set. */
export function startedFrom(res: Response, authorizeUrl: string, ip: string): Started {
  const flowCookie = cookieNamed(res, FLOW_COOKIE);
  if (!flowCookie) throw new Error(`no flow cookie: ${cookiesOf(res).join(' | ')}`);
  return { authorizeUrl: new URL(authorizeUrl), flowCookie, ip };
}

export async function startLogin(provider: Provider, query = ''): Promise<Started> {
  const ip = uniqueIp();
  const res = await authFetch(`/v1/auth/oauth/${provider}/start${query}`, {
    redirect: 'manual',
    headers: { 'cf-connecting-ip': ip },
  });
  expect(res.status).toBe(302);
  return startedFrom(res, res.headers.get('location') ?? '', ip);
}

/** The provider's authorization: returns the callback URL it redirects to (path and query). */
export async function authorize(
  provider: Provider,
  started: Started,
  scenario: Scenario = {},
): Promise<string> {
  const url = new URL(started.authorizeUrl);
  const idParam = 'test_id';
  if (scenario.id) url.searchParams.set(provider === 'google' ? 'test_sub' : idParam, scenario.id);
  if (scenario.email) url.searchParams.set('test_email', scenario.email);
  if (scenario.emailVerified === false) url.searchParams.set('test_email_verified', 'false');
  if (scenario.authTime !== undefined) url.searchParams.set('test_auth_time', String(scenario.authTime));
  if (scenario.tamper) url.searchParams.set('test_tamper', scenario.tamper);
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location') ?? '');
  expect(back.origin).toBe('http://127.0.0.1:8787');
  return `${back.pathname}${back.search}`;
}

export async function callback(path: string, started: Pick<Started, 'flowCookie' | 'ip'>, cookie?: string) {
  return authFetch(path, {
    redirect: 'manual',
    headers: { cookie: cookie ?? started.flowCookie, 'cf-connecting-ip': started.ip },
  });
}

export interface CallbackOutcome {
  res: Response;
  location: URL;
  error: string | null;
  refreshCookie: string | null;
}

export function outcomeOf(res: Response): CallbackOutcome {
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get('location') ?? '');
  return {
    res,
    location,
    error: location.searchParams.get('oauth_error'),
    refreshCookie: cookieNamed(res, REFRESH_COOKIE),
  };
}

/** A whole login: start, authorize as `scenario`, callback. */
export async function socialLogin(provider: Provider, scenario: Scenario = {}): Promise<CallbackOutcome> {
  const started = await startLogin(provider);
  const path = await authorize(provider, started, scenario);
  return outcomeOf(await callback(path, started));
}

export interface Session {
  accessToken: string;
  user: { id: string; email: string };
}

/** What the console does after a successful callback: refresh with the cookie for an access token. */
export async function sessionFrom(refreshCookie: string | null): Promise<Session> {
  if (!refreshCookie) throw new Error('no refresh cookie');
  const res = await authFetch('/v1/auth/refresh', { method: 'POST', headers: { cookie: refreshCookie } });
  expect(res.status).toBe(200);
  return (await res.json()) as Session;
}

/** Starts a link (POST /v1/me/identities/{provider}) or a re-verification (POST /v1/auth/reauth). */
export async function startAuthenticated(path: string, token: string, body?: unknown): Promise<Started> {
  const ip = uniqueIp();
  const res = await authFetch(
    path,
    jsonInit('POST', body ?? {}, { ...authHeaders(token), 'cf-connecting-ip': ip }),
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
  return startedFrom(res, (JSON.parse(text) as { authorizationUrl: string }).authorizationUrl, ip);
}

export function uniqueSubject(): string {
  return String(Math.floor(Math.random() * 1e12) + 1);
}

export async function auditActions(userId: string): Promise<{ action: string; outcome: string }[]> {
  const rows = await env.DB.prepare(
    'SELECT action, outcome FROM audit_log WHERE actor_user_id = ? ORDER BY at',
  )
    .bind(userId)
    .all<{ action: string; outcome: string }>();
  return rows.results;
}

/** An access token for `userId` whose sign-in happened `ageS` seconds ago (signed with the test key). */
export async function tokenSignedInAgo(userId: string, ageS: number): Promise<string> {
  const now = Date.now() / 1000;
  return new SignJWT({ auth_time: now - ageS })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
    .setIssuer('airlock')
    .setAudience('airlock-api')
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setJti(crypto.randomUUID())
    .sign(fromBase64Url(env.JWT_SIGNING_KEY) as Uint8Array);
}

/** A fresh social-only account and its session. */
export async function socialUser(
  provider: Provider,
  id = uniqueSubject(),
): Promise<Session & { id: string }> {
  const out = await socialLogin(provider, { id, email: `social-${crypto.randomUUID()}@example.test` });
  expect(out.error).toBeNull();
  return { ...(await sessionFrom(out.refreshCookie)), id };
}
