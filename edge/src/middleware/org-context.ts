import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client.ts';
import type { Principal } from '../domain/principal.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import {
  type MembershipQuery,
  type MembershipView,
  membershipQuery,
  personalMembershipQuery,
} from '../repositories/memberships.ts';
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

/**
 * The query for the membership the request acts in, or null when none can match (an implausible
 * header, or an API key naming an organization other than its own): the answer is then "not found".
 */
export function membershipQueryFor(c: Context<AppEnv>, principal: Principal): MembershipQuery | null {
  const requested = c.req.header(ORG_HEADER)?.trim();
  if (requested !== undefined && requested !== '' && !PLAUSIBLE_ID.test(requested)) return null;
  const wanted = requested || (principal.kind === 'api_key' ? principal.orgId : undefined);
  if (principal.kind === 'api_key' && wanted !== principal.orgId) return null;
  const db = database(c.env.DB);
  return wanted
    ? membershipQuery(db, { orgId: wanted, userId: principal.userId })
    : personalMembershipQuery(db, { userId: principal.userId });
}

/** The rows of a membership query as its answer. */
export const membershipOf = (rows: MembershipView[]): MembershipView | null => rows[0] ?? null;

function lookupMembership(c: Context<AppEnv>, principal: Principal): Promise<MembershipView | null> {
  const query = membershipQueryFor(c, principal);
  return query ? query.then(membershipOf) : Promise.resolve(null);
}

/**
 * Hands orgContext() the membership read authenticate() started (or already has), so it is not read
 * twice. Started as soon as the caller is known, it runs alongside the revocation read and the
 * rate-limit call instead of after them (issue 18); for an access token it even travels in the same
 * D1 batch as the revocation read. orgContext() still decides, with the same read: nothing is cached.
 */
export function startMembershipLookup(
  c: Context<AppEnv>,
  principal: Principal,
  lookup: Promise<MembershipView | null> = lookupMembership(c, principal),
): void {
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
