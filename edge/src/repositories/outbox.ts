import { and, asc, eq, isNull, lt } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { outbox } from '../db/schema.ts';

/** Outgoing messages. Rows are written in the same batch as the change that causes them. */

export type OutboxRow = typeof outbox.$inferSelect;

export interface OutboxMessage {
  kind: string;
  recipient: string;
  subject: string;
  body: string;
}

export function enqueueMessage(db: Database, message: OutboxMessage, now: number) {
  return db.insert(outbox).values({ id: crypto.randomUUID(), ...message, createdAt: now });
}

export async function unsentMessages(db: Database, maxAttempts: number, limit: number): Promise<OutboxRow[]> {
  return db
    .select()
    .from(outbox)
    .where(and(isNull(outbox.sentAt), lt(outbox.attempts, maxAttempts)))
    .orderBy(asc(outbox.createdAt))
    .limit(limit)
    .all();
}

export async function markMessage(db: Database, row: OutboxRow, sent: boolean, now: number): Promise<void> {
  await db
    .update(outbox)
    // Once delivered, the body (a reset link is a credential) no longer needs to sit in D1.
    .set(sent ? { attempts: row.attempts + 1, sentAt: now, body: '' } : { attempts: row.attempts + 1 })
    .where(eq(outbox.id, row.id));
}

/** A deleted account's unsent mail goes with it. */
export function deleteMessagesTo(db: Database, recipient: string) {
  return db.delete(outbox).where(and(eq(outbox.recipient, recipient), isNull(outbox.sentAt)));
}

/**
 * Housekeeping: a message older than `createdBefore` is spent, sent or not (a reset link in it has
 * expired), so the row and its body go. With `MAIL_SENDER=none` this is what bounds how long a
 * reset token sits in D1.
 */
export function deleteExpiredMessages(db: Database, createdBefore: number) {
  return db.delete(outbox).where(lt(outbox.createdAt, createdBefore));
}
