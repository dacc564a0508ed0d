import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { users } from '../db/schema.ts';

/** Users by id or normalized email. Account data is the user's own: every query is keyed by it. */

export type UserRow = typeof users.$inferSelect;

export async function findUserByEmail(db: Database, email: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.email, email)).get();
}

/** A user by id, unexecuted (at most one row), so it can join a D1 batch. */
export function userByIdQuery(db: Database, id: string) {
  return db.select().from(users).where(eq(users.id, id)).limit(1);
}

export async function findUserById(db: Database, id: string): Promise<UserRow | undefined> {
  return (await userByIdQuery(db, id))[0];
}

export function insertUser(
  db: Database,
  row: {
    id: string;
    email: string;
    /** Null: a social-only account (no password). */
    passwordHash: string | null;
    /** Set when a provider verified the address at sign-up; a password account confirms by mail. */
    emailVerifiedAt?: number | null;
    now: number;
  },
) {
  return db.insert(users).values({
    id: row.id,
    email: row.email,
    passwordHash: row.passwordHash,
    emailVerifiedAt: row.emailVerifiedAt ?? null,
    createdAt: row.now,
    updatedAt: row.now,
  });
}

export function setPasswordHash(db: Database, userId: string, passwordHash: string, now: number) {
  return db.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, userId));
}

/** Cascades (schema FKs) remove identities, memberships, sessions, resets, provider keys, API keys, runs. */
export function deleteUser(db: Database, userId: string) {
  return db.delete(users).where(eq(users.id, userId));
}

/** Access tokens issued before `at` stop working on their next request (reset, password change). */
export function setTokensValidAfter(db: Database, userId: string, at: number) {
  return db.update(users).set({ tokensValidAfter: at }).where(eq(users.id, userId));
}

/** What authentication needs to know about a token's user, unexecuted (batched with the membership read). */
export function tokensValidAfterQuery(db: Database, userId: string) {
  return db
    .select({ tokensValidAfter: users.tokensValidAfter })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
}

/** The rows of tokensValidAfterQuery as its answer: null when the account is gone. */
export const tokensValidAfterOf = (rows: { tokensValidAfter: number }[]): number | null =>
  rows[0]?.tokensValidAfter ?? null;

export async function findTokensValidAfter(db: Database, userId: string): Promise<number | null> {
  return tokensValidAfterOf(await tokensValidAfterQuery(db, userId));
}

/** Confirms the address, only if it is still the one the link was sent to. */
export async function markEmailVerified(
  db: Database,
  userId: string,
  email: string,
  now: number,
): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ emailVerifiedAt: now, updatedAt: now })
    .where(and(eq(users.id, userId), eq(users.email, email)))
    .returning({ id: users.id });
  return rows.length > 0;
}
