import type { AppConfig } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../lib/logger.ts';
import { DAY_MS } from '../limits.ts';
import { deleteSpentVerifications } from '../repositories/email-verifications.ts';
import { deleteExpiredKeys } from '../repositories/idempotency-keys.ts';
import { deleteSpentInvitations } from '../repositories/invitations.ts';
import { deleteExpiredFlows } from '../repositories/oauth-flows.ts';
import { deleteExpiredMessages } from '../repositories/outbox.ts';
import { deleteSpentResets } from '../repositories/password-resets.ts';
import { eraseOutputFinishedBefore } from '../repositories/run-output.ts';
import { deleteSpentRefresh } from '../repositories/sessions.ts';

/**
 * The Cron Trigger's work (wrangler.toml `[triggers]`, edge/src/index.ts `scheduled`). Each step is
 * one idempotent statement group keyed by time, so a missed or doubled run is harmless:
 * - refresh tokens and families past expiry or revoked (a revoked family is kept a day, so a late
 *   replay is still recognized as reuse and audited);
 * - password-reset rows used or expired;
 * - outbox rows older than the reset lifetime: their links are dead, and with `MAIL_SENDER=none`
 *   this is what bounds how long a reset token sits in D1 (a delivered row keeps no body at all);
 * - invitations expired or accepted;
 * - run output (stdout, stderr) of runs finished more than `RUN_OUTPUT_RETENTION_DAYS` ago;
 * - `Idempotency-Key` records past their 24 hours (a late retry then starts afresh, as documented);
 * - OAuth flows nobody finished, email confirmation links used or expired (issue 14).
 * Run-session Durable Object storage is not enumerable from here: each RunSession deletes its own
 * storage by alarm once its retention has passed (durable-objects/run-session.ts), which is the
 * hook for stale session state.
 */

const REVOKED_FAMILY_GRACE_MS = DAY_MS;

export interface HousekeepingReport {
  sessionRows: number;
  familyRows: number;
  resetRows: number;
  outboxRows: number;
  invitationRows: number;
  runOutputRows: number;
  idempotencyRows: number;
  oauthFlowRows: number;
  emailVerificationRows: number;
}

export async function runHousekeeping(
  db: Database,
  config: AppConfig,
  now: number,
  logger: Logger,
): Promise<HousekeepingReport> {
  const [tokens, families] = deleteSpentRefresh(db, now, now - REVOKED_FAMILY_GRACE_MS);
  const results = await db.batch([
    tokens,
    families,
    deleteSpentResets(db, now),
    deleteExpiredMessages(db, now - config.auth.passwordResetTtlMs),
    deleteSpentInvitations(db, now),
    eraseOutputFinishedBefore(db, now - config.auth.runOutputRetentionMs),
    deleteExpiredKeys(db, now),
    deleteExpiredFlows(db, now),
    deleteSpentVerifications(db, now),
  ]);
  const changed = results.map((r) => r.meta.changes ?? 0);
  const report: HousekeepingReport = {
    sessionRows: changed[0] ?? 0,
    familyRows: changed[1] ?? 0,
    resetRows: changed[2] ?? 0,
    outboxRows: changed[3] ?? 0,
    invitationRows: changed[4] ?? 0,
    runOutputRows: changed[5] ?? 0,
    idempotencyRows: changed[6] ?? 0,
    oauthFlowRows: changed[7] ?? 0,
    emailVerificationRows: changed[8] ?? 0,
  };
  logger.info('housekeeping done', { ...report });
  return report;
}
