import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { identities, users } from '../db/schema.ts';
import type { OAuthProvider } from '../domain/oauth/config.ts';

/** Linked sign-in identities (provider + provider user id, unique). Keyed by the user, or by the subject. */

export type IdentityRow = typeof identities.$inferSelect;

export async function findIdentity(
  db: Database,
  provider: OAuthProvider,
  providerUserId: string,
): Promise<IdentityRow | undefined> {
  return db
    .select()
    .from(identities)
    .where(and(eq(identities.provider, provider), eq(identities.providerUserId, providerUserId)))
    .get();
}

/** A user's linked identities, oldest first; unexecuted, so it can join a D1 batch. */
export function identitiesQuery(db: Database, userId: string) {
  return db.select().from(identities).where(eq(identities.userId, userId)).orderBy(asc(identities.createdAt));
}

export async function identitiesOf(db: Database, userId: string): Promise<IdentityRow[]> {
  return identitiesQuery(db, userId);
}

export function insertIdentity(
  db: Database,
  row: { userId: string; provider: OAuthProvider; providerUserId: string; email: string | null; now: number },
) {
  return db.insert(identities).values({
    id: crypto.randomUUID(),
    userId: row.userId,
    provider: row.provider,
    providerUserId: row.providerUserId,
    email: row.email,
    createdAt: row.now,
  });
}

/** The provider's current address for the identity (informational; sign-in goes by subject). */
export function updateIdentityEmail(db: Database, id: string, email: string | null) {
  return db.update(identities).set({ email }).where(eq(identities.id, id));
}

/**
 * Unlinks, but only while another way to sign in remains (a password, or another identity): the
 * condition is part of the DELETE, so two concurrent unlinks cannot leave the account with none.
 */
export async function deleteIdentityKeepingAWayIn(
  db: Database,
  userId: string,
  provider: OAuthProvider,
): Promise<boolean> {
  const rows = await db
    .delete(identities)
    .where(
      and(
        eq(identities.userId, userId),
        eq(identities.provider, provider),
        sql`(EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${userId} AND ${users.passwordHash} IS NOT NULL)
          OR EXISTS (SELECT 1 FROM ${identities} AS other WHERE other.user_id = ${userId} AND other.provider <> ${provider}))`,
      ),
    )
    .returning({ id: identities.id });
  return rows.length > 0;
}
