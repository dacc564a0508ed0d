import { and, eq, isNull, lte, or } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { idempotencyKeys } from '../db/schema.ts';
import type { Scope } from './scope.ts';

/**
 * The only code that reads or writes `idempotency_keys` (middleware/idempotency.ts decides what to do
 * with them). Every statement is keyed by the caller's organization, user and credential, so one
 * tenant's key never meets another's. A claim is a single INSERT … ON CONFLICT DO NOTHING: of two
 * concurrent requests with one key, exactly one gets the row. The answer is written, or the claim
 * released, only under the claimant's `lockId`, so a request that outlived its lock cannot overwrite
 * the answer of the one that took the key over.
 */

export interface IdempotencyRef extends Scope {
  /** `user` or `api_key:<id>`. */
  principal: string;
  key: string;
}

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

export interface StoredAnswer {
  status: number;
  body: string | null;
  headers: Record<string, string>;
}

const byRef = (ref: IdempotencyRef) =>
  and(
    eq(idempotencyKeys.orgId, ref.orgId),
    eq(idempotencyKeys.userId, ref.userId),
    eq(idempotencyKeys.principal, ref.principal),
    eq(idempotencyKeys.key, ref.key),
  );

interface Claim {
  requestHash: string;
  lockId: string;
  now: number;
  lockMs: number;
  ttlMs: number;
}

/** Inserts the key as in flight; false when a row for it exists already. */
export async function claimKey(db: Database, ref: IdempotencyRef, claim: Claim): Promise<boolean> {
  const rows = await db
    .insert(idempotencyKeys)
    .values({
      ...ref,
      requestHash: claim.requestHash,
      lockId: claim.lockId,
      lockedUntil: claim.now + claim.lockMs,
      createdAt: claim.now,
      expiresAt: claim.now + claim.ttlMs,
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

export async function findKey(db: Database, ref: IdempotencyRef): Promise<IdempotencyRow | undefined> {
  return db.select().from(idempotencyKeys).where(byRef(ref)).get();
}

/**
 * Takes over a row that is expired, or in flight past its lock (its request died), as a fresh claim.
 * The condition is re-checked in the UPDATE, so of two requests racing for it one wins.
 */
export async function takeOverKey(db: Database, ref: IdempotencyRef, claim: Claim): Promise<boolean> {
  const rows = await db
    .update(idempotencyKeys)
    .set({
      requestHash: claim.requestHash,
      lockId: claim.lockId,
      lockedUntil: claim.now + claim.lockMs,
      responseStatus: null,
      responseBody: null,
      responseHeaders: null,
      createdAt: claim.now,
      expiresAt: claim.now + claim.ttlMs,
    })
    .where(
      and(
        byRef(ref),
        or(
          lte(idempotencyKeys.expiresAt, claim.now),
          and(isNull(idempotencyKeys.responseStatus), lte(idempotencyKeys.lockedUntil, claim.now)),
        ),
      ),
    )
    .returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

/** Records the first answer, if the claim is still ours. */
export async function storeAnswer(
  db: Database,
  ref: IdempotencyRef,
  lockId: string,
  answer: StoredAnswer,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ responseStatus: answer.status, responseBody: answer.body, responseHeaders: answer.headers })
    .where(and(byRef(ref), eq(idempotencyKeys.lockId, lockId), isNull(idempotencyKeys.responseStatus)));
}

/** Releases the claim (the request did nothing a retry could repeat), if it is still ours. */
export async function releaseKey(db: Database, ref: IdempotencyRef, lockId: string): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(and(byRef(ref), eq(idempotencyKeys.lockId, lockId), isNull(idempotencyKeys.responseStatus)));
}

/** Housekeeping: keys whose 24 hours are over. */
export function deleteExpiredKeys(db: Database, now: number) {
  return db.delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, now));
}
