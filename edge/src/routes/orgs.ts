import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { type Database, database } from '../db/client.ts';
import { emailSchema } from '../domain/auth/email.ts';
import type { OrgRole } from '../domain/principal.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { auditRequest } from '../lib/audit-request.ts';
import { jsonBody } from '../lib/validate.ts';
import { FIXED } from '../limits.ts';
import { apiLimit } from '../middleware/api-limit.ts';
import { authenticate, recentAuth, userOnly } from '../middleware/authenticate.ts';
import { revokeApiKeysOfMember } from '../repositories/api-keys.ts';
import { type AuditRow, listOrgAudit } from '../repositories/audit.ts';
import { acceptInvitation, pendingInvitationsFor, upsertInvitation } from '../repositories/invitations.ts';
import { findMember, listMembers, type MemberView, removeMember } from '../repositories/memberships.ts';
import { createOrg, findOrgOfMember, listOrgsOfUser, type OrgView } from '../repositories/orgs.ts';
import { setOrgTokenCap } from '../repositories/usage.ts';
import { findUserById } from '../repositories/users.ts';

/**
 * /v1/orgs: organizations and their members (docs/tenancy.md). The organization in the path is
 * checked against the caller's membership first: not a member → 404, whatever the id. Listing works
 * for API keys too (they see their own organization only); everything else needs a user session.
 *
 * Roles: owners manage everything; admins add and remove plain members; members read. Anyone but a
 * personal organization's (only) owner and an organization's last owner can leave.
 *
 * Adding a member creates an invitation (issue 12): nobody joins an organization without accepting,
 * and the answer no longer tells the inviter whether the email has an account. Adding and removing
 * members need a recent sign-in (sudo mode). Owners and admins read their organization's audit log.
 */

export const newOrg = z.strictObject({ name: z.string().trim().min(1).max(100) });
export const invite = z.strictObject({
  email: emailSchema,
  role: z.enum(['admin', 'member']).default('member'),
});
/** PATCH /v1/orgs/{id}: the settings owners and admins may change (an allowlist: nothing else). */
export const orgSettings = z.strictObject({
  monthlyTokenCap: z.number().int().min(1).max(FIXED.orgTokenCapMax).nullable().optional(),
});
export const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.coerce.number().int().min(0).optional(),
});
export const removal = z.union([
  z.strictObject({ userId: z.string().min(1).max(64) }),
  z.strictObject({ email: emailSchema }),
]);

const iso = (ms: number) => new Date(ms).toISOString();
const orgJson = (o: OrgView) => ({
  id: o.id,
  name: o.name,
  personal: o.personal,
  role: o.role,
  monthlyTokenCap: o.monthlyTokenCap,
  createdAt: iso(o.createdAt),
});
const memberJson = (m: MemberView) => ({
  userId: m.userId,
  email: m.email,
  role: m.role,
  joinedAt: iso(m.joinedAt),
});
const auditJson = (a: AuditRow) => ({
  id: a.id,
  at: iso(a.at),
  action: a.action,
  outcome: a.outcome,
  actorUserId: a.actorUserId,
  actorApiKeyId: a.actorApiKeyId,
  targetType: a.targetType,
  targetId: a.targetId,
  ip: a.ip,
  requestId: a.requestId,
  metadata: a.metadata,
});
const notFound = () => new ApiError('not_found', { message: 'Organization not found.' });

/** The path's organization, as the caller sees it; 404 unless they are a member. */
async function orgOfCaller(c: Context<AppEnv>, db: Database): Promise<OrgView> {
  const org = await findOrgOfMember(db, {
    orgId: c.req.param('id') ?? '',
    userId: c.get('principal').userId,
  });
  if (!org) throw notFound();
  return org;
}

const MANAGES: Record<OrgRole, readonly OrgRole[]> = {
  owner: ['owner', 'admin', 'member'],
  admin: ['member'],
  member: [],
};

async function removeFromOrg(c: Context<AppEnv>, who: { userId: string } | { email: string }) {
  const db = database(c.env.DB);
  const now = c.get('now')();
  const actorId = c.get('principal').userId;
  const org = await orgOfCaller(c, db);
  const target = await findMember(db, { orgId: org.id }, who);
  if (!target) throw new ApiError('not_found', { message: 'No such member.' });
  const leaving = target.userId === actorId;
  if (org.personal) throw new ApiError('personal_org');
  if (!leaving && !MANAGES[org.role].includes(target.role)) throw new ApiError('forbidden');

  const outcome = await removeMember(db, { orgId: org.id, userId: target.userId });
  if (outcome === 'last_owner') throw new ApiError('last_owner');
  if (outcome === 'not_member') throw new ApiError('not_found', { message: 'No such member.' });
  const revokedKeys = await revokeApiKeysOfMember(db, { orgId: org.id, userId: target.userId }, now);
  await auditRequest(
    c,
    db,
    {
      action: leaving ? 'org.member_left' : 'org.member_removed',
      orgId: org.id,
      targetType: 'user',
      targetId: target.userId,
      metadata: { role: target.role, revokedApiKeys: revokedKeys },
    },
    now,
  );
  return c.body(null, 204);
}

export const orgRoutes = new Hono<AppEnv>()
  .use('/v1/orgs/*', authenticate(), apiLimit)
  .get('/v1/orgs', async (c) => {
    const db = database(c.env.DB);
    const principal = c.get('principal');
    if (principal.kind === 'api_key') {
      const own = await findOrgOfMember(db, { orgId: principal.orgId, userId: principal.userId });
      return c.json({ orgs: own ? [orgJson(own)] : [] });
    }
    return c.json({ orgs: (await listOrgsOfUser(db, { userId: principal.userId })).map(orgJson) });
  })
  .post('/v1/orgs', userOnly(), jsonBody(newOrg), async (c) => {
    const db = database(c.env.DB);
    const now = c.get('now')();
    const org = await createOrg(
      db,
      {
        name: c.req.valid('json').name,
        ownerUserId: c.get('principal').userId,
        maxOwned: c.get('config').auth.maxOrgsPerUser,
      },
      now,
    );
    if (!org) throw new ApiError('org_limit');
    await auditRequest(
      c,
      db,
      { action: 'org.created', orgId: org.id, targetType: 'org', targetId: org.id },
      now,
    );
    return c.json(orgJson(org), 201);
  })
  // Issue 13: the organization's monthly task token cap (null removes it). Owners and admins only.
  .patch('/v1/orgs/:id', userOnly(), jsonBody(orgSettings), async (c) => {
    const db = database(c.env.DB);
    const org = await orgOfCaller(c, db);
    if (org.role === 'member') throw new ApiError('forbidden');
    const { monthlyTokenCap } = c.req.valid('json');
    if (monthlyTokenCap === undefined) return c.json(orgJson(org));
    const now = c.get('now')();
    await setOrgTokenCap(db, org.id, monthlyTokenCap);
    await auditRequest(
      c,
      db,
      {
        action: 'org.token_cap_set',
        orgId: org.id,
        targetType: 'org',
        targetId: org.id,
        metadata: { monthlyTokenCap, previous: org.monthlyTokenCap },
      },
      now,
    );
    return c.json(orgJson({ ...org, monthlyTokenCap }));
  })
  .get('/v1/orgs/:id/members', userOnly(), async (c) => {
    const db = database(c.env.DB);
    const org = await orgOfCaller(c, db);
    return c.json({ members: (await listMembers(db, { orgId: org.id })).map(memberJson) });
  })
  .get('/v1/orgs/:id/audit', userOnly(), async (c) => {
    const db = database(c.env.DB);
    const org = await orgOfCaller(c, db);
    if (org.role === 'member') throw new ApiError('forbidden');
    const query = auditQuery.safeParse(c.req.query());
    if (!query.success) throw new ApiError('validation_failed');
    const rows = await listOrgAudit(db, { orgId: org.id }, query.data);
    return c.json({ entries: rows.map(auditJson) });
  })
  .post('/v1/orgs/:id/members', recentAuth(), jsonBody(invite), async (c) => {
    const db = database(c.env.DB);
    const now = c.get('now')();
    const { email, role } = c.req.valid('json');
    const org = await orgOfCaller(c, db);
    if (!MANAGES[org.role].includes(role)) throw new ApiError('forbidden');
    if (org.personal) throw new ApiError('personal_org');
    if (await findMember(db, { orgId: org.id }, { email })) {
      throw new ApiError('conflict', { message: 'This user is already a member.' });
    }
    const ttlMs = c.get('config').auth.invitationTtlMs;
    const id = await upsertInvitation(db, {
      orgId: org.id,
      email,
      role,
      invitedBy: c.get('principal').userId,
      now,
      ttlMs,
    });
    await auditRequest(
      c,
      db,
      {
        action: 'org.member_invited',
        orgId: org.id,
        targetType: 'invitation',
        targetId: id,
        metadata: { role },
      },
      now,
    );
    return c.json({ invitation: { id, email, role, expiresAt: iso(now + ttlMs) } }, 202);
  })
  .delete('/v1/orgs/:id/members', recentAuth(), jsonBody(removal), (c) =>
    removeFromOrg(c, c.req.valid('json')),
  )
  .delete('/v1/orgs/:id/members/:userId', recentAuth(), (c) =>
    removeFromOrg(c, { userId: c.req.param('userId') }),
  );

/** /v1/invitations: the signed-in user's pending invitations, and accepting one. */
export const invitationRoutes = new Hono<AppEnv>()
  .use('/v1/invitations/*', authenticate(), apiLimit, userOnly())
  .get('/v1/invitations', async (c) => {
    const db = database(c.env.DB);
    const user = await verifiedUser(db, c.get('principal').userId);
    const pending = await pendingInvitationsFor(db, user.email, Date.now());
    return c.json({
      invitations: pending.map((i) => ({
        id: i.id,
        orgId: i.orgId,
        orgName: i.orgName,
        role: i.role,
        expiresAt: iso(i.expiresAt),
      })),
    });
  })
  .post('/v1/invitations/:id/accept', async (c) => {
    const db = database(c.env.DB);
    const now = Date.now();
    const user = await verifiedUser(db, c.get('principal').userId);
    const joined = await acceptInvitation(db, {
      id: c.req.param('id'),
      email: user.email,
      userId: user.id,
      now,
    });
    if (!joined) throw new ApiError('not_found', { message: 'Invitation not found.' });
    await auditRequest(
      c,
      db,
      {
        action: 'org.member_added',
        orgId: joined.orgId,
        targetType: 'user',
        targetId: user.id,
        metadata: { role: joined.role },
      },
      now,
    );
    const org = await orgOfMember(db, joined.orgId, user.id);
    return c.json(orgJson(org), 200);
  });

/**
 * Invitations go to an address: only an account that proved it owns the address (a followed
 * confirmation link, or a provider-verified social sign-up) may see or accept them (issue 14).
 */
async function verifiedUser(db: Database, userId: string) {
  const user = await findUserById(db, userId);
  if (!user) throw new ApiError('unauthorized');
  if (user.emailVerifiedAt === null) throw new ApiError('email_unverified');
  return user;
}

async function orgOfMember(db: Database, orgId: string, userId: string): Promise<OrgView> {
  const org = await findOrgOfMember(db, { orgId, userId });
  if (!org) throw new ApiError('conflict');
  return org;
}
