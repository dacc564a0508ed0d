import { and, eq, gt, isNotNull, isNull, lt, or } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { emailVerifications } from '../db/schema.ts';

/** Email confirmation tokens (SHA-256 at rest, single use). */

export function insertEmailVerification(
  db: Database,
  row: { userId: string; email: string; tokenHash: string; now: number; expiresAt: number },
) {
  return db.insert(emailVerifications).values({
    id: crypto.randomUUID(),
    userId: row.userId,
    email: row.email,
    tokenHash: row.tokenHash,
    createdAt: row.now,
    expiresAt: row.expiresAt,
  });
}

/** Atomically uses a live token: one UPDATE, so a link never works twice. */
export async function claimEmailVerification(
  db: Database,
  tokenHash: string,
  now: number,
): Promise<{ userId: string; email: string } | null> {
  const rows = await db
    .update(emailVerifications)
    .set({ usedAt: now })
    .where(
      and(
        eq(emailVerifications.tokenHash, tokenHash),
        isNull(emailVerifications.usedAt),
        gt(emailVerifications.expiresAt, now),
      ),
    )
    .returning({ userId: emailVerifications.userId, email: emailVerifications.email });
  return rows[0] ?? null;
}

/** Housekeeping: used or expired confirmation rows are spent. */
export function deleteSpentVerifications(db: Database, now: number) {
  return db
    .delete(emailVerifications)
    .where(or(lt(emailVerifications.expiresAt, now), isNotNull(emailVerifications.usedAt)));
}
