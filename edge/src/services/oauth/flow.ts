import { generateCodeVerifier, generateState } from 'arctic';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { database } from '../../db/client.ts';
import type { GithubSettings, GoogleSettings, OAuthProvider } from '../../domain/oauth/config.ts';
import type { AppEnv } from '../../env.ts';
import { ApiError } from '../../errors/api-error.ts';
import { constantTimeEqual, sha256Hex } from '../../lib/bytes.ts';
import { claimFlow, insertFlow, type OAuthFlowRow } from '../../repositories/oauth-flows.ts';
import { authorizationUrl } from './providers.ts';

/**
 * An OAuth flow bound to the browser that started it (RFC 9700 §4.7, §2.1.1): a random `state`
 * and PKCE verifier go into a short-lived `__Secure-airlock_oauth` cookie (HttpOnly, Secure,
 * SameSite=Lax so the provider's top-level redirect back carries it, Path=/v1/auth/oauth so it
 * travels nowhere else). D1 keeps the flow (purpose, user, nonce, return path) under the state's
 * SHA-256; the callback claims it once. The verifier lives only in the cookie.
 */

export const FLOW_COOKIE = 'airlock_oauth';
const FLOW_COOKIE_PATH = '/v1/auth/oauth';
/** arctic's states and verifiers are base64url, so a dot separates them unambiguously. */
const SEPARATOR = '.';
const MAX_COOKIE_PART = 128;

export type FlowPurpose = OAuthFlowRow['purpose'];

export function providerSettings(
  c: Context<AppEnv>,
  provider: OAuthProvider,
): GoogleSettings | GithubSettings {
  const settings = c.get('config').oauth[provider];
  if (!settings) throw new ApiError('oauth_provider_disabled');
  return settings;
}

/** The provider named in the path, or 404 for anything else. */
export function providerParam(value: string | undefined): OAuthProvider {
  if (value === 'google' || value === 'github') return value;
  throw new ApiError('not_found');
}

/** `redirect` must be exactly one of the allowed console paths; absent means `fallback`. */
export function redirectPath(c: Context<AppEnv>, requested: string | undefined, fallback: string): string {
  const allowed = c.get('config').oauth.redirectPaths;
  if (requested === undefined) return allowed.includes(fallback) ? fallback : (allowed[0] ?? '/');
  if (!allowed.includes(requested)) throw new ApiError('invalid_redirect');
  return requested;
}

/** Records the flow, sets the browser's flow cookie and returns where to send the browser. */
export async function beginFlow(
  c: Context<AppEnv>,
  input: { provider: OAuthProvider; purpose: FlowPurpose; userId: string | null; redirectPath: string },
): Promise<URL> {
  const { oauth } = c.get('config');
  const settings = providerSettings(c, input.provider);
  const now = Date.now();
  const state = generateState();
  const codeVerifier = generateCodeVerifier();
  const nonce = input.provider === 'google' ? generateState() : null;
  await insertFlow(database(c.env.DB), {
    stateHash: await sha256Hex(state),
    provider: input.provider,
    purpose: input.purpose,
    userId: input.userId,
    nonce,
    redirectPath: input.redirectPath,
    createdAt: now,
    expiresAt: now + oauth.flowTtlMs,
  });
  setCookie(c, FLOW_COOKIE, `${state}${SEPARATOR}${codeVerifier}`, {
    prefix: 'secure',
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: FLOW_COOKIE_PATH,
    maxAge: Math.floor(oauth.flowTtlMs / 1000),
  });
  return authorizationUrl(oauth, input.provider, settings, {
    state,
    codeVerifier,
    nonce,
    reauth: input.purpose === 'reauth',
  });
}

export type ClaimResult =
  | { ok: true; flow: OAuthFlowRow; codeVerifier: string | null }
  | { ok: false; flow: OAuthFlowRow | null; reason: string };

const bytes = (s: string) => new TextEncoder().encode(s);

/**
 * The callback's first step: the cookie's state must equal the returned one, and the flow must be
 * live and unclaimed. The cookie is cleared whatever happens (a flow is one attempt). A missing
 * verifier is reported after the claim, so the state is spent either way.
 */
export async function claimCallbackFlow(c: Context<AppEnv>, provider: OAuthProvider): Promise<ClaimResult> {
  const raw = getCookie(c, FLOW_COOKIE, 'secure');
  deleteCookie(c, FLOW_COOKIE, {
    prefix: 'secure',
    path: FLOW_COOKIE_PATH,
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
  });
  const returned = c.req.query('state');
  if (!raw || !returned || returned.length > MAX_COOKIE_PART || raw.length > 2 * MAX_COOKIE_PART + 1)
    return { ok: false, flow: null, reason: raw ? 'no_state' : 'no_cookie' };
  const [cookieState = '', verifier = ''] = raw.split(SEPARATOR);
  if (!constantTimeEqual(bytes(cookieState), bytes(returned)))
    return { ok: false, flow: null, reason: 'state_mismatch' };
  const flow = await claimFlow(database(c.env.DB), await sha256Hex(returned), provider, Date.now());
  if (!flow) return { ok: false, flow: null, reason: 'state_unknown_used_or_expired' };
  return { ok: true, flow, codeVerifier: verifier === '' ? null : verifier };
}
