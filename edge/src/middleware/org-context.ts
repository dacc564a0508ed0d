import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { findMembership, findPersonalMembership } from '../repositories/memberships.ts';
import type { Scope } from '../repositories/scope.ts';

/**
 * The organization a request acts in: `X-Org-Id`, or the caller's personal organization when the
 * header is absent. Membership is read from D1 on every request (never cached, never a token claim),
 * so removing a member takes effect on their next request. Not a member → 404, exactly as for an
 * organization that does not exist, so ids of other tenants reveal nothing.
 *
 * API keys are pinned to the organization they were created in: without the header they act there,
 * and naming any other organization is a 404. Their user must still be a member of it.
 */
const ORG_HEADER = 'x-org-id';
const PLAUSIBLE_ID = /^[A-Za-z0-9-]{1,64}$/;

export function orgContext(): MiddlewareHandler<AppEnv> {
  return async function orgContext(c, next) {
    const principal = c.get('principal');
    const requested = c.req.header(ORG_HEADER)?.trim();
    const db = database(c.env.DB);

    if (requested !== undefined && requested !== '' && !PLAUSIBLE_ID.test(requested)) {
      throw new ApiError('not_found', { message: 'Organization not found.' });
    }
    const wanted = requested || (principal.kind === 'api_key' ? principal.orgId : undefined);
    if (principal.kind === 'api_key' && wanted !== principal.orgId) {
      throw new ApiError('not_found', { message: 'Organization not found.' });
    }
    const membership = wanted
      ? await findMembership(db, { orgId: wanted, userId: principal.userId })
      : await findPersonalMembership(db, { userId: principal.userId });
    if (!membership) throw new ApiError('not_found', { message: 'Organization not found.' });

    c.set('org', { id: membership.orgId, role: membership.role });
    await next();
  };
}

/** The tenant scope of a request that passed `orgContext()`: its organization and the caller's user. */
export function requestScope(c: Context<AppEnv>): Scope {
  return { orgId: c.get('org').id, userId: c.get('principal').userId };
}
