import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { FIXED } from '../limits.ts';

/**
 * CORS by exact-origin allowlist (`ALLOWED_ORIGINS`). An allowed origin gets the CORS headers with
 * credentials; any other origin, `null` included, gets none at all: the origin is never reflected
 * unless listed, and `*` is never sent. `Vary: Origin` keeps caches from mixing the two answers.
 */

const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOW_HEADERS = new Set([
  'authorization',
  'content-type',
  'x-request-id',
  'x-org-id',
  'idempotency-key',
]);
const EXPOSE_HEADERS = 'X-Request-Id, Retry-After, RateLimit, RateLimit-Policy, Idempotent-Replayed';
const PREFLIGHT_MAX_AGE = String(FIXED.corsPreflightMaxAgeSeconds);

export function cors(): MiddlewareHandler<AppEnv> {
  return async function cors(c, next) {
    const origin = c.req.header('origin');
    const allowed = origin !== undefined && c.get('config').allowedOrigins.has(origin);
    const isPreflight =
      c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined;

    if (isPreflight) {
      if (!allowed) throw new ApiError('origin_not_allowed');
      const requested = (c.req.header('access-control-request-headers') ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => ALLOW_HEADERS.has(h));
      c.res = new Response(null, {
        status: 204,
        headers: {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Credentials': 'true',
          'Access-Control-Allow-Methods': ALLOW_METHODS,
          'Access-Control-Allow-Headers': requested.join(', '),
          'Access-Control-Max-Age': PREFLIGHT_MAX_AGE,
          Vary: 'Origin, Access-Control-Request-Headers',
        },
      });
      return;
    }

    await next();
    if (c.res.status === 101) return;
    c.res.headers.append('Vary', 'Origin');
    if (allowed) {
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      c.res.headers.set('Access-Control-Allow-Credentials', 'true');
      c.res.headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
  };
}
