import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { memberships, orgs, users } from '../db/schema.ts';
import type { OrgRole } from '../domain/principal.ts';
import type { Scope } from './scope.ts';

/**
 * Memberships: who belongs to which organization, with which role. Every function takes the org id
 * and/or user id it is scoped by; the org-context middleware calls `findMembership` on every
 * tenant-scoped request, so a removed member loses access on their next request.
 */

export interface MembershipView {
  orgId: string;
  role: OrgRole;
  personal: boolean;
}

const membershipColumns = { orgId: memberships.orgId, role: memberships.role, personal: orgs.personal };

/**
 * The membership queries unexecuted, so that authentication can send one in the same D1 batch as its
 * revocation read (middleware/authenticate.ts): one round trip instead of two. At most one row.
 */
export function membershipQuery(db: Database, scope: Scope) {
  return db
    .select(membershipColumns)
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(and(eq(memberships.orgId, scope.orgId), eq(memberships.userId, scope.userId)))
    .limit(1);
}

/** The caller's personal organization (the default when no `X-Org-Id` is sent). */
export function personalMembershipQuery(db: Database, scope: { userId: string }) {
  return db
    .select(membershipColumns)
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(and(eq(memberships.userId, scope.userId), eq(orgs.personal, true)))
    .orderBy(asc(orgs.createdAt))
    .limit(1);
}

export type MembershipQuery = ReturnType<typeof membershipQuery> | ReturnType<typeof personalMembershipQuery>;

export async function findMembership(db: Database, scope: Scope): Promise<MembershipView | null> {
  return (await membershipQuery(db, scope))[0] ?? null;
}

export interface MemberView {
  userId: string;
  email: string;
  role: OrgRole;
  joinedAt: number;
}

const memberViewColumns = {
  userId: memberships.userId,
  email: users.email,
  role: memberships.role,
  joinedAt: memberships.createdAt,
};

export async function listMembers(db: Database, scope: { orgId: string }): Promise<MemberView[]> {
  return db
    .select(memberViewColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, scope.orgId))
    .orderBy(asc(memberships.createdAt), asc(users.email))
    .all();
}

/** Looks a member up by user id or by (normalized) email, within one organization. */
export async function findMember(
  db: Database,
  scope: { orgId: string },
  who: { userId: string } | { email: string },
): Promise<MemberView | null> {
  const match = 'userId' in who ? eq(memberships.userId, who.userId) : eq(users.email, who.email);
  const row = await db
    .select(memberViewColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, scope.orgId), match))
    .get();
  return row ?? null;
}

/** The id of an existing account, for invitations (invitations are by email, for existing users only). */
export async function findUserIdByEmail(db: Database, email: string): Promise<string | null> {
  const row = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).get();
  return row?.id ?? null;
}

/** Adds a member; false when they already belong to the organization (their role is left alone). */
export async function addMember(
  db: Database,
  scope: { orgId: string },
  member: { userId: string; role: Exclude<OrgRole, 'owner'> },
  now: number,
): Promise<boolean> {
  const inserted = await db
    .insert(memberships)
    .values({ orgId: scope.orgId, userId: member.userId, role: member.role, createdAt: now })
    .onConflictDoNothing()
    .returning({ userId: memberships.userId });
  return inserted.length > 0;
}

/**
 * Removes a member, refusing (in the same statement, so two concurrent removals cannot both pass)
 * to remove an organization's last owner.
 */
export async function removeMember(
  db: Database,
  scope: Scope,
): Promise<'removed' | 'last_owner' | 'not_member'> {
  const removed = await db
    .delete(memberships)
    .where(
      and(
        eq(memberships.orgId, scope.orgId),
        eq(memberships.userId, scope.userId),
        sql`(${memberships.role} <> 'owner' OR (SELECT count(*) FROM memberships AS m2 WHERE m2.org_id = ${scope.orgId} AND m2.role = 'owner') > 1)`,
      ),
    )
    .returning({ userId: memberships.userId });
  if (removed.length > 0) return 'removed';
  return (await findMembership(db, scope)) ? 'last_owner' : 'not_member';
}
