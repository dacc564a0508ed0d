import { and, eq, gt, isNotNull, isNull, lt, or } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { passwordResets } from '../db/schema.ts';

/** Password-reset tokens (SHA-256 at rest, single use). */

export function insertPasswordReset(
  db: Database,
  row: { userId: string; tokenHash: string; now: number; expiresAt: number },
) {
  return db.insert(passwordResets).values({
    id: crypto.randomUUID(),
    userId: row.userId,
    tokenHash: row.tokenHash,
    createdAt: row.now,
    expiresAt: row.expiresAt,
  });
}

/** Atomically uses a live token: one UPDATE, so two concurrent resets cannot both succeed. */
export async function claimPasswordReset(
  db: Database,
  tokenHash: string,
  now: number,
): Promise<string | null> {
  const rows = await db
    .update(passwordResets)
    .set({ usedAt: now })
    .where(
      and(
        eq(passwordResets.tokenHash, tokenHash),
        isNull(passwordResets.usedAt),
        gt(passwordResets.expiresAt, now),
      ),
    )
    .returning({ userId: passwordResets.userId });
  return rows[0]?.userId ?? null;
}

/** Other outstanding tokens of the user stop working once one is used. */
export function expireOutstandingResets(db: Database, userId: string, now: number) {
  return db
    .update(passwordResets)
    .set({ usedAt: now })
    .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
}

/** Housekeeping: used or expired reset rows are spent. */
export function deleteSpentResets(db: Database, now: number) {
  return db
    .delete(passwordResets)
    .where(or(lt(passwordResets.expiresAt, now), isNotNull(passwordResets.usedAt)));
}
