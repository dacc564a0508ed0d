import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { issueAccessToken } from '../domain/auth/access-token.ts';
import type { IssuedRefresh } from '../domain/auth/refresh.ts';
import type { AppEnv } from '../env.ts';
import { auditRequest } from '../lib/audit-request.ts';

/**
 * What the auth and account routes share: the session response (DESIGN.md shape), the refresh
 * cookie (`__Secure-airlock_rt`; HttpOnly, Secure, SameSite=Strict, Path=/v1/auth, so it only ever
 * travels to the auth routes and never to another site) and audit writes with the caller's context.
 *
 * Cookie-only mode: a browser client sends `X-Airlock-Session: cookie` and gets no `refreshToken`
 * in the JSON body (script on the page never sees it; the HttpOnly cookie carries it). Without the
 * header the body is unchanged: `refreshToken` is part of the API contract for other clients.
 */

export const SESSION_MODE_HEADER = 'x-airlock-session';

/** True when the client asked for cookie-only sessions. */
export function cookieOnly(c: Context<AppEnv>): boolean {
  return c.req.header(SESSION_MODE_HEADER)?.trim().toLowerCase() === 'cookie';
}

export const REFRESH_COOKIE = 'airlock_rt';
const COOKIE_PATH = '/v1/auth';

export async function sessionResponse(
  c: Context<AppEnv>,
  user: { id: string; email: string },
  refresh: IssuedRefresh,
  now: number,
  status: 200 | 201 = 200,
): Promise<Response> {
  const { auth } = c.get('config');
  const access = await issueAccessToken(
    { ...auth, ttlSeconds: auth.accessTokenTtlSeconds },
    { userId: user.id, authenticatedAt: refresh.authenticatedAt },
    now,
  );
  setRefreshCookie(c, refresh, now);
  c.header('Cache-Control', 'no-store');
  return c.json(
    {
      accessToken: access.token,
      ...(cookieOnly(c) ? {} : { refreshToken: refresh.token }),
      expiresIn: access.expiresIn,
      tokenType: 'Bearer',
      user: { id: user.id, email: user.email },
    },
    status,
  );
}

/** The refresh cookie alone: a social sign-in's callback sets it and redirects (no JSON body). */
export function setRefreshCookie(c: Context<AppEnv>, refresh: IssuedRefresh, now: number): void {
  setCookie(c, REFRESH_COOKIE, refresh.token, {
    prefix: 'secure',
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
    path: COOKIE_PATH,
    maxAge: Math.max(0, Math.floor((refresh.expiresAt - now) / 1000)),
  });
}

export function refreshCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, REFRESH_COOKIE, 'secure');
}

export function clearRefreshCookie(c: Context<AppEnv>): void {
  deleteCookie(c, REFRESH_COOKIE, {
    prefix: 'secure',
    path: COOKIE_PATH,
    secure: true,
    httpOnly: true,
    sameSite: 'Strict',
  });
}

/** Audit writes of the auth and account routes: the one audit helper (lib/audit-request.ts). */
export const audit = auditRequest;
