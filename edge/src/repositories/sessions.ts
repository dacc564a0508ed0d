import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { refreshTokens } from '../db/schema.ts';

/** Refresh-token rows (only SHA-256 hashes of the tokens are stored). */

type RefreshTokenRow = typeof refreshTokens.$inferSelect;

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

export async function findRefreshToken(
  db: Database,
  tokenHash: string,
): Promise<RefreshTokenRow | undefined> {
  return db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).get();
}

/** Marks a live token used; false when another request already used it (or it was revoked). */
export async function claimRefreshToken(db: Database, id: string, now: number): Promise<boolean> {
  const claimed = await db
    .update(refreshTokens)
    .set({ usedAt: now })
    .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.usedAt), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return claimed.length === 1;
}

export function revokeFamily(db: Database, familyId: string, now: number) {
  return db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

export function revokeAllFamiliesOfUser(db: Database, userId: string, now: number) {
  return db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
}
