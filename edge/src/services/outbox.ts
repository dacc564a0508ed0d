import type { Database } from '../db/client.ts';
import { MAX_ATTEMPTS, type MailSender } from '../domain/outbox/sender.ts';
import type { Logger } from '../lib/logger.ts';
import { markMessage, unsentMessages } from '../repositories/outbox.ts';

/** Delivers outbox rows through a sender; a delivered row keeps no body (repositories/outbox.ts). */

const BATCH = 20;

export async function drainOutbox(
  db: Database,
  sender: MailSender,
  from: string,
  logger: Logger,
  now: () => number,
): Promise<void> {
  for (const row of await unsentMessages(db, MAX_ATTEMPTS, BATCH)) {
    try {
      await sender.send({ ...row, from });
      await markMessage(db, row, true, now());
    } catch (err) {
      logger.warn('outbox send failed', { outboxId: row.id, kind: row.kind, err });
      await markMessage(db, row, false, now());
    }
  }
}
