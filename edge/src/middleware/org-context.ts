import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client.ts';
import type { Principal } from '../domain/principal.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { findMembership, findPersonalMembership, type MembershipView } from '../repositories/memberships.ts';
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

/** The membership the request acts in, or null (unknown, not a member, or not the key's org). */
function lookupMembership(c: Context<AppEnv>, principal: Principal): Promise<MembershipView | null> {
  const requested = c.req.header(ORG_HEADER)?.trim();
  if (requested !== undefined && requested !== '' && !PLAUSIBLE_ID.test(requested))
    return Promise.resolve(null);
  const wanted = requested || (principal.kind === 'api_key' ? principal.orgId : undefined);
  if (principal.kind === 'api_key' && wanted !== principal.orgId) return Promise.resolve(null);
  const db = database(c.env.DB);
  return wanted
    ? findMembership(db, { orgId: wanted, userId: principal.userId })
    : findPersonalMembership(db, { userId: principal.userId });
}

/**
 * Starts the membership read as soon as the caller is known (authenticate() calls it on routes that
 * mount orgContext()), so it runs alongside the revocation read and the rate-limit call instead of
 * after them (issue 18). orgContext() still decides, with the same read: nothing is cached.
 */
export function startMembershipLookup(c: Context<AppEnv>, principal: Principal): void {
  const lookup = lookupMembership(c, principal);
  // Awaited by orgContext(); if the request stops before it (revoked token, rate limit), unobserved.
  lookup.catch(() => undefined);
  c.set('membershipLookup', lookup);
}

export function orgContext(): MiddlewareHandler<AppEnv> {
  return async function orgContext(c, next) {
    const principal = c.get('principal');
    const started = c.get('membershipLookup');
    // Started for this principal in authenticate(), or read now.
    const membership = await (started ?? lookupMembership(c, principal));
    if (!membership) throw new ApiError('not_found', { message: 'Organization not found.' });

    c.set('org', { id: membership.orgId, role: membership.role });
    await next();
  };
}

/** The tenant scope of a request that passed `orgContext()`: its organization and the caller's user. */
export function requestScope(c: Context<AppEnv>): Scope {
  return { orgId: c.get('org').id, userId: c.get('principal').userId };
}
