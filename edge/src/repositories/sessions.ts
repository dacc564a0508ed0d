import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { refreshFamilies, refreshTokens } from '../db/schema.ts';

/**
 * Refresh families and their tokens (only SHA-256 hashes of the tokens are stored). Revocation is
 * recorded on the family; a token is live only while its family is.
 */

export function insertFamily(
  db: Database,
  row: { id: string; userId: string; authenticatedAt: number; now: number; expiresAt: number },
) {
  return db.insert(refreshFamilies).values({
    id: row.id,
    userId: row.userId,
    authenticatedAt: row.authenticatedAt,
    createdAt: row.now,
    expiresAt: row.expiresAt,
  });
}

export function insertRefreshToken(
  db: Database,
  row: { userId: string; familyId: string; tokenHash: string; now: number; expiresAt: number },
) {
  return db.insert(refreshTokens).values({
    id: crypto.randomUUID(),
    userId: row.userId,
    familyId: row.familyId,
    tokenHash: row.tokenHash,
    createdAt: row.now,
    expiresAt: row.expiresAt,
  });
}

export interface RefreshTokenWithFamily {
  id: string;
  userId: string;
  familyId: string;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
  familyRevokedAt: number | null;
  authenticatedAt: number;
}

export async function findRefreshToken(
  db: Database,
  tokenHash: string,
): Promise<RefreshTokenWithFamily | undefined> {
  return db
    .select({
      id: refreshTokens.id,
      userId: refreshTokens.userId,
      familyId: refreshTokens.familyId,
      expiresAt: refreshTokens.expiresAt,
      usedAt: refreshTokens.usedAt,
      revokedAt: refreshTokens.revokedAt,
      familyRevokedAt: refreshFamilies.revokedAt,
      authenticatedAt: refreshFamilies.authenticatedAt,
    })
    .from(refreshTokens)
    .innerJoin(refreshFamilies, eq(refreshFamilies.id, refreshTokens.familyId))
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .get();
}

/**
 * Rotation as one batch (one D1 transaction): insert the successor only if the parent is, at that
 * moment, unused, unrevoked, unexpired and in a live family; then mark the parent used. Batches are
 * serialized, so of N concurrent rotations exactly one inserts; `parent_id` is unique besides.
 * Returns whether this call won.
 */
export async function rotateAtomically(
  db: Database,
  input: { parentId: string; tokenHash: string; now: number },
): Promise<boolean> {
  const successorId = crypto.randomUUID();
  const [inserted] = await db.batch([
    db
      .insert(refreshTokens)
      .select(
        sql`SELECT ${successorId}, t.user_id, t.family_id, ${input.tokenHash}, ${input.parentId}, ${input.now}, t.expires_at, NULL, NULL
            FROM refresh_tokens AS t JOIN refresh_families AS f ON f.id = t.family_id
            WHERE t.id = ${input.parentId} AND t.used_at IS NULL AND t.revoked_at IS NULL
              AND f.revoked_at IS NULL AND t.expires_at > ${input.now}`,
      )
      .returning({ id: refreshTokens.id }),
    db
      .update(refreshTokens)
      .set({ usedAt: input.now })
      .where(and(eq(refreshTokens.id, input.parentId), isNull(refreshTokens.usedAt))),
  ]);
  return inserted.length === 1;
}

/** Revokes the family itself (so later inserts are dead too) and its existing tokens, in one batch. */
export async function revokeFamily(db: Database, familyId: string, now: number): Promise<void> {
  await db.batch([
    db
      .update(refreshFamilies)
      .set({ revokedAt: now })
      .where(and(eq(refreshFamilies.id, familyId), isNull(refreshFamilies.revokedAt))),
    db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt))),
  ]);
}

/** Every family of the user (for a batch: password change or reset). */
export function revokeAllFamiliesOfUser(db: Database, userId: string, now: number) {
  return db
    .update(refreshFamilies)
    .set({ revokedAt: now })
    .where(and(eq(refreshFamilies.userId, userId), isNull(refreshFamilies.revokedAt)));
}

/**
 * Housekeeping: tokens and families past expiry, or of a family revoked before `revokedBefore`.
 * Used tokens of a live family stay: they are what reuse detection recognizes.
 */
export function deleteSpentRefresh(db: Database, now: number, revokedBefore: number) {
  return [
    db
      .delete(refreshTokens)
      .where(
        or(
          lt(refreshTokens.expiresAt, now),
          sql`${refreshTokens.familyId} IN (SELECT id FROM refresh_families WHERE revoked_at < ${revokedBefore} OR expires_at < ${now})`,
        ),
      ),
    db
      .delete(refreshFamilies)
      .where(or(lt(refreshFamilies.expiresAt, now), lt(refreshFamilies.revokedAt, revokedBefore))),
  ] as const;
}
