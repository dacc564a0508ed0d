import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { invitations, memberships, orgs } from '../db/schema.ts';

/**
 * Invitations: adding a member by email creates one; only the account with that email, signed in,
 * can accept it, and only then is a membership created. Expired ones never grant anything.
 */

export interface InvitationView {
  id: string;
  orgId: string;
  orgName: string;
  email: string;
  role: 'admin' | 'member';
  createdAt: number;
  expiresAt: number;
}

/** Creates (or renews, for the same org and email) a pending invitation; returns its id. */
export async function upsertInvitation(
  db: Database,
  input: {
    orgId: string;
    email: string;
    role: 'admin' | 'member';
    invitedBy: string;
    now: number;
    ttlMs: number;
  },
): Promise<string> {
  const id = crypto.randomUUID();
  const rows = await db
    .insert(invitations)
    .values({
      id,
      orgId: input.orgId,
      email: input.email,
      role: input.role,
      invitedBy: input.invitedBy,
      createdAt: input.now,
      expiresAt: input.now + input.ttlMs,
    })
    .onConflictDoUpdate({
      target: [invitations.orgId, invitations.email],
      set: {
        id,
        role: input.role,
        invitedBy: input.invitedBy,
        createdAt: input.now,
        expiresAt: input.now + input.ttlMs,
        acceptedAt: null,
      },
    })
    .returning({ id: invitations.id });
  return rows[0]?.id ?? id;
}

/** Pending, unexpired invitations addressed to `email`. */
export async function pendingInvitationsFor(
  db: Database,
  email: string,
  now: number,
): Promise<InvitationView[]> {
  return db
    .select({
      id: invitations.id,
      orgId: invitations.orgId,
      orgName: orgs.name,
      email: invitations.email,
      role: invitations.role,
      createdAt: invitations.createdAt,
      expiresAt: invitations.expiresAt,
    })
    .from(invitations)
    .innerJoin(orgs, eq(orgs.id, invitations.orgId))
    .where(and(eq(invitations.email, email), isNull(invitations.acceptedAt), gt(invitations.expiresAt, now)))
    .orderBy(asc(invitations.createdAt))
    .all();
}

/**
 * Accepts: in one batch, the membership is inserted only from a pending, unexpired invitation
 * addressed to `email`, and the invitation is marked accepted. Returns the organization joined, or
 * null (unknown, someone else's, expired or already used: all the same 404 to the caller).
 */
export async function acceptInvitation(
  db: Database,
  input: { id: string; email: string; userId: string; now: number },
): Promise<{ orgId: string; role: 'admin' | 'member' } | null> {
  const [joined] = await db.batch([
    db
      .insert(memberships)
      .select(
        sql`SELECT i.org_id, ${input.userId}, i.role, ${input.now} FROM invitations AS i
            WHERE i.id = ${input.id} AND i.email = ${input.email} AND i.accepted_at IS NULL AND i.expires_at > ${input.now}`,
      )
      .onConflictDoNothing()
      .returning({ orgId: memberships.orgId, role: memberships.role }),
    db
      .update(invitations)
      .set({ acceptedAt: input.now })
      .where(
        and(
          eq(invitations.id, input.id),
          eq(invitations.email, input.email),
          isNull(invitations.acceptedAt),
          gt(invitations.expiresAt, input.now),
        ),
      ),
  ]);
  const row = joined[0];
  return row ? { orgId: row.orgId, role: row.role as 'admin' | 'member' } : null;
}

/** Housekeeping: expired or accepted invitations. */
export function deleteSpentInvitations(db: Database, now: number) {
  return db
    .delete(invitations)
    .where(or(lt(invitations.expiresAt, now), sql`${invitations.acceptedAt} IS NOT NULL`));
}
