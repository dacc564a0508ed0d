import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client.ts';
import { authenticateApiKey, recordApiKeyUse } from '../domain/api-keys/authenticate.ts';
import { verifyAccessToken } from '../domain/auth/access-token.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';

/**
 * Bearer authentication: `Authorization: Bearer <access JWT | API key>` and nothing else (a token
 * in the query string would end up in logs and Referer headers, so it is never read). Failures
 * answer one generic 401 and log only the reason, never the token.
 */

/** The scheme is case-insensitive (RFC 7235 §2.1); the credential is a token68. */
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i;

function unauthorized(): ApiError {
  return new ApiError('unauthorized', { headers: { 'WWW-Authenticate': 'Bearer realm="airlock"' } });
}

export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const match = BEARER.exec(c.req.header('authorization') ?? '');
    const token = match?.[1];
    if (!token) throw unauthorized();

    if (token.startsWith('ak_')) {
      // ── API keys (domain/api-keys/authenticate.ts) ───────────────────────────────────────────
      const db = database(c.env.DB);
      const now = Date.now();
      const result = await authenticateApiKey(db, token, now);
      if (!result.ok) {
        c.get('logger').info('authentication failed', { reason: `api_key_${result.reason}` });
        throw unauthorized();
      }
      c.set('principal', result.principal);
      afterResponse(c, recordApiKeyUse(db, result.principal.apiKeyId, now));
      await next();
      return;
    }

    const { auth } = c.get('config');
    const result = await verifyAccessToken(auth, token, Date.now());
    if (!result.ok) {
      c.get('logger').info('authentication failed', { reason: `access_token_${result.reason}` });
      throw unauthorized();
    }
    c.set('principal', { kind: 'user', userId: result.userId });
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

/** Runs `work` after the response when the runtime allows (`waitUntil`), else before it; logs failures. */
function afterResponse(c: Context<AppEnv>, work: Promise<void>): void {
  const logged = work.catch((err: unknown) =>
    c.get('logger').warn('api key last-used update failed', { err }),
  );
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // No execution context (e.g. app.request in tests): the promise still settles on its own.
  }
}
