import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client.ts';
import { verifyAccessToken } from '../domain/auth/access-token.ts';
import type { Principal } from '../domain/principal.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { findTokensValidAfter, tokensValidAfterOf, tokensValidAfterQuery } from '../repositories/users.ts';
import { afterResponse } from '../services/after-response.ts';
import { authenticateApiKey, recordApiKeyUse } from '../services/api-key-auth.ts';
import { membershipOf, membershipQueryFor, startMembershipLookup } from './org-context.ts';
import { hitLimit, ipKey, peekLimit, refusal, type UserLimit } from './rate-limit.ts';

/**
 * Bearer authentication: `Authorization: Bearer <access JWT | API key>` and nothing else (a token
 * in the query string would end up in logs and Referer headers, so it is never read). Failures
 * answer one generic 401 and log only the reason, never the token.
 *
 * Failures are counted per client IP (`auth_failures`); an IP over the limit gets 429 before any
 * D1 read. Access tokens are checked by signature first (no D1), so only a genuine token reaches
 * the one D1 read it costs: the user's "tokens valid after" time, which a password reset or change
 * moves forward so every older access token dies on its next request.
 */

const FAILURES = 'auth_failures';

/** The scheme is case-insensitive (RFC 7235 §2.1); the credential is a token68. */
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i;

function unauthorized(): ApiError {
  return new ApiError('unauthorized', { headers: { 'WWW-Authenticate': 'Bearer realm="airlock"' } });
}

/** Refuses at once when this IP has failed too often; touches only its rate-limiter object. */
async function refuseIfBlocked(c: Context<AppEnv>): Promise<void> {
  const rule = c.get('config').auth.rateLimits.authFailures;
  const decision = await peekLimit(c, FAILURES, ipKey(c), rule);
  if (!decision.allowed) {
    c.get('logger').warn('rate limited', { limit: FAILURES });
    throw refusal(FAILURES, rule, decision);
  }
}

async function failed(c: Context<AppEnv>, reason: string): Promise<ApiError> {
  c.get('logger').info('authentication failed', { reason });
  const rule = c.get('config').auth.rateLimits.authFailures;
  const decision = await hitLimit(c, FAILURES, ipKey(c), rule);
  return decision.allowed ? unauthorized() : refusal(FAILURES, rule, decision);
}

export interface AuthenticateOptions {
  /**
   * The route mounts orgContext(): start its membership read once the caller is known, alongside the
   * revocation read and the rate-limit call (middleware/org-context.ts).
   */
  orgLookup?: boolean;
  /**
   * The route's user-quota check (`apiLimit`, `runAdmission`), mounted after this middleware: for an
   * access token it is sent once the signature has passed, alongside the revocation read, and
   * decided where it is mounted (rate-limit.ts `UserLimit.start`). Only for user sessions, which hold
   * every scope: an API key's admission still waits for its scope check.
   */
  admission?: UserLimit;
}

/**
 * The user's "tokens valid after" time (null: account gone). With `orgLookup`, the membership read
 * travels in the same D1 batch (one round trip for both, each its own statement) and is handed to
 * orgContext(), which uses it only once this check has passed.
 */
async function revocationRead(
  c: Context<AppEnv>,
  principal: Principal,
  orgLookup: boolean,
): Promise<number | null> {
  const db = database(c.env.DB);
  const membership = orgLookup ? membershipQueryFor(c, principal) : null;
  if (!membership) {
    if (orgLookup) startMembershipLookup(c, principal, Promise.resolve(null));
    return findTokensValidAfter(db, principal.userId);
  }
  const [tokens, members] = await db.batch([tokensValidAfterQuery(db, principal.userId), membership]);
  startMembershipLookup(c, principal, Promise.resolve(membershipOf(members)));
  return tokensValidAfterOf(tokens);
}

export function authenticate(options: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const match = BEARER.exec(c.req.header('authorization') ?? '');
    const token = match?.[1];
    if (!token) throw unauthorized();

    if (token.startsWith('ak_')) {
      // ── API keys (services/api-key-auth.ts): a D1 lookup, so the failure limit comes first ──
      await refuseIfBlocked(c);
      const db = database(c.env.DB);
      const now = Date.now();
      const result = await authenticateApiKey(db, token, now);
      if (!result.ok) throw await failed(c, `api_key_${result.reason}`);
      c.set('principal', result.principal);
      if (options.orgLookup) startMembershipLookup(c, result.principal);
      void afterResponse(c, 'api key last-used update', () =>
        recordApiKeyUse(db, result.principal.apiKeyId, now),
      );
      await next();
      return;
    }

    const { auth } = c.get('config');
    const result = await verifyAccessToken(auth, token, Date.now());
    if (!result.ok) throw await failed(c, `access_token_${result.reason}`);
    const principal = {
      kind: 'user',
      userId: result.userId,
      authenticatedAt: result.authenticatedAt,
    } as const;
    // The signature is good: the admission call and the membership read may start now; both are used
    // only if the token is not revoked.
    options.admission?.start(c, principal);
    const validAfter = await revocationRead(c, principal, options.orgLookup === true);
    if (validAfter === null) throw await failed(c, 'access_token_user_gone');
    if (result.issuedAt < validAfter) throw await failed(c, 'access_token_revoked');
    c.set('principal', principal);
    await next();
  };
}

/** Account routes: a user's own session only; an API key may never manage the account. */
export function userOnly(): MiddlewareHandler<AppEnv> {
  return async function userOnly(c, next) {
    if (c.get('principal').kind !== 'user')
      throw new ApiError('forbidden', { message: 'This route needs a user session, not an API key.' });
    await next();
  };
}

/**
 * Sudo mode (as GitHub's): sensitive routes need a sign-in (password or provider) within the last
 * `RECENT_AUTH_SECONDS`; an older session gets 403 `reauthentication_required` and re-authenticates
 * with `POST /v1/auth/reauth`, then retries. Implies `userOnly()`.
 */
export function recentAuth(): MiddlewareHandler<AppEnv> {
  return async function recentAuth(c, next) {
    const principal = c.get('principal');
    if (principal.kind !== 'user')
      throw new ApiError('forbidden', { message: 'This route needs a user session, not an API key.' });
    if (Date.now() - principal.authenticatedAt > c.get('config').auth.recentAuthMs) {
      throw new ApiError('reauthentication_required', {
        message: 'Confirm your password with POST /v1/auth/reauth, then retry.',
      });
    }
    await next();
  };
}
