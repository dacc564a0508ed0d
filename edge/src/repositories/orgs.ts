import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { memberships, orgs } from '../db/schema.ts';
import type { OrgRole } from '../domain/principal.ts';
import type { Scope } from './scope.ts';

/** Organizations and memberships. */

/** The statements that give a new user a personal organization they own (run in a batch). */
export function personalOrgInserts(
  db: Database,
  input: { orgId: string; userId: string; name: string; now: number },
) {
  return [
    db.insert(orgs).values({ id: input.orgId, name: input.name, personal: true, createdAt: input.now }),
    db
      .insert(memberships)
      .values({ orgId: input.orgId, userId: input.userId, role: 'owner', createdAt: input.now }),
  ] as const;
}

interface MembershipRow {
  orgId: string;
  userId: string;
  role: OrgRole;
  createdAt: number;
}

/** Every membership of every organization `userId` belongs to (their own rows included). */
export async function membershipsAlongside(db: Database, userId: string): Promise<MembershipRow[]> {
  const mine = db
    .select({ orgId: memberships.orgId })
    .from(memberships)
    .where(eq(memberships.userId, userId));
  return db
    .select({
      orgId: memberships.orgId,
      userId: memberships.userId,
      role: memberships.role,
      createdAt: memberships.createdAt,
    })
    .from(memberships)
    .where(inArray(memberships.orgId, mine))
    .all();
}

export function setMemberRole(db: Database, orgId: string, userId: string, role: OrgRole) {
  return db
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
}

/** Cascades remove the organization's memberships, API keys and runs. */
export function deleteOrg(db: Database, orgId: string) {
  return db.delete(orgs).where(eq(orgs.id, orgId));
}

// ── Tenancy (issue 6): team organizations ─────────────────────────────────────────────────────

export interface OrgView {
  id: string;
  name: string;
  personal: boolean;
  role: OrgRole;
  createdAt: number;
}

/** A new (non-personal) organization, owned by its creator; both rows in one batch. */
export async function createOrg(
  db: Database,
  input: { name: string; ownerUserId: string },
  now: number,
): Promise<OrgView> {
  const id = crypto.randomUUID();
  await db.batch([
    db.insert(orgs).values({ id, name: input.name, personal: false, createdAt: now }),
    db.insert(memberships).values({ orgId: id, userId: input.ownerUserId, role: 'owner', createdAt: now }),
  ]);
  return { id, name: input.name, personal: false, role: 'owner', createdAt: now };
}

/** An organization as a member sees it: with their role in it. */
const orgViewColumns = {
  id: orgs.id,
  name: orgs.name,
  personal: orgs.personal,
  role: memberships.role,
  createdAt: orgs.createdAt,
};

/** The organizations `userId` is a member of, with their role in each; personal first. */
export async function listOrgsOfUser(db: Database, scope: { userId: string }): Promise<OrgView[]> {
  return db
    .select(orgViewColumns)
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(eq(memberships.userId, scope.userId))
    .orderBy(desc(orgs.personal), asc(orgs.createdAt), asc(orgs.id))
    .all();
}

/** One organization as seen by a member (null when `userId` is not a member: callers answer 404). */
export async function findOrgOfMember(db: Database, scope: Scope): Promise<OrgView | null> {
  const row = await db
    .select(orgViewColumns)
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(and(eq(memberships.orgId, scope.orgId), eq(memberships.userId, scope.userId)))
    .get();
  return row ?? null;
}
