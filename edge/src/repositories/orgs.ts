import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
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
  /** Task tokens per UTC month (issue 13); null: no cap. */
  monthlyTokenCap: number | null;
  createdAt: number;
}

/**
 * A new (non-personal) organization, owned by its creator, unless they already own `maxOwned`
 * non-personal ones. The cap is checked inside the INSERT and the membership is inserted only if
 * the organization was, in one batch, so concurrent creations cannot overshoot it. Null: at the cap.
 */
export async function createOrg(
  db: Database,
  input: { name: string; ownerUserId: string; maxOwned: number },
  now: number,
): Promise<OrgView | null> {
  const id = crypto.randomUUID();
  const [created] = await db.batch([
    db
      .insert(orgs)
      .select(
        sql`SELECT ${id}, ${input.name}, 0, NULL, ${now} WHERE (
              SELECT count(*) FROM memberships AS m JOIN orgs AS o ON o.id = m.org_id
              WHERE m.user_id = ${input.ownerUserId} AND m.role = 'owner' AND o.personal = 0
            ) < ${input.maxOwned}`,
      )
      .returning({ id: orgs.id }),
    db
      .insert(memberships)
      .select(sql`SELECT id, ${input.ownerUserId}, 'owner', ${now} FROM orgs WHERE id = ${id}`),
  ]);
  if (created.length === 0) return null;
  return { id, name: input.name, personal: false, role: 'owner', monthlyTokenCap: null, createdAt: now };
}

/** An organization as a member sees it: with their role in it. */
const orgViewColumns = {
  id: orgs.id,
  name: orgs.name,
  personal: orgs.personal,
  role: memberships.role,
  monthlyTokenCap: orgs.monthlyTokenCap,
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

/**
 * Hand-over when `leavingUserId` goes: promote the longest-standing admin (else member) to owner,
 * only if no other owner exists at the moment the statement runs. Conditional in SQL, so two sole
 * owners deleting their accounts at once (D1 has no interactive transactions) cannot both assume
 * the other stays: whichever batch runs second sees no other owner and promotes an heir.
 */
export function promoteHeirUnlessOwned(db: Database, orgId: string, leavingUserId: string) {
  return db
    .update(memberships)
    .set({ role: 'owner' })
    .where(
      and(
        eq(memberships.orgId, orgId),
        sql`${memberships.userId} = (
          SELECT m.user_id FROM memberships AS m WHERE m.org_id = ${orgId} AND m.user_id <> ${leavingUserId}
          ORDER BY (m.role = 'admin') DESC, m.created_at, m.user_id LIMIT 1)`,
        sql`NOT EXISTS (
          SELECT 1 FROM memberships AS o WHERE o.org_id = ${orgId} AND o.role = 'owner' AND o.user_id <> ${leavingUserId})`,
      ),
    );
}
