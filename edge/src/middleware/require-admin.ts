import type { MiddlewareHandler } from 'hono';
import { database } from '../db/client.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { auditRequest } from '../lib/audit-request.ts';
import { isAdmin } from '../repositories/admin.ts';

/**
 * The admin guard. `users.is_admin` is read from D1 on every request, never taken from a token, so
 * revoking the flag takes effect on the very next request. API keys never reach admin routes.
 *
 * Every call is audited with the caller's IP, user agent and request id, granted or not. The grant
 * is written *before* the handler runs and a failed write fails the request: no admin read goes
 * unrecorded.
 */
const ACTIONS = new Set(['stats', 'users', 'billing', 'audit']);

export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdmin(c, next) {
    const principal = c.get('principal');
    const db = database(c.env.DB);
    const now = c.get('now')();
    const resource = c.req.path.split('/').at(-1) ?? '';
    const metadata = {
      method: c.req.method,
      path: c.req.path.slice(0, 200),
      query: new URL(c.req.url).search.slice(0, 500),
    };
    const action = `admin.${ACTIONS.has(resource) ? resource : 'unknown'}`;

    const denial =
      principal.kind !== 'user' ? 'api_key' : (await isAdmin(db, principal.userId)) ? null : 'not_admin';
    if (denial) {
      await auditRequest(
        c,
        db,
        { action, outcome: 'failure', orgId: null, metadata: { ...metadata, denial } },
        now,
      );
      throw new ApiError('forbidden', { message: 'Administrator access is required.' });
    }
    await auditRequest(c, db, { action, orgId: null, metadata }, now);
    await next();
  };
}
