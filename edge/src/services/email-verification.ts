import type { Database } from '../db/client.ts';
import {
  isVerifyTokenShaped,
  VERIFY_MAIL_SUBJECT,
  VERIFY_TOKEN_PREFIX,
  verifyMailBody,
} from '../domain/auth/email-verification.ts';
import { randomToken, sha256Hex } from '../lib/bytes.ts';
import { claimEmailVerification, insertEmailVerification } from '../repositories/email-verifications.ts';
import { enqueueMessage } from '../repositories/outbox.ts';
import { markEmailVerified } from '../repositories/users.ts';

/** Email confirmation in D1 (rules and mail text: domain/auth/email-verification.ts). */

/** The token row and its mail in one batch: a link is never issued without its message. */
export async function createEmailVerification(
  db: Database,
  req: { userId: string; email: string; now: number; ttlMs: number; verifyUrl: string },
): Promise<void> {
  const token = randomToken(VERIFY_TOKEN_PREFIX);
  await db.batch([
    insertEmailVerification(db, {
      userId: req.userId,
      email: req.email,
      tokenHash: await sha256Hex(token),
      now: req.now,
      expiresAt: req.now + req.ttlMs,
    }),
    enqueueMessage(
      db,
      {
        kind: 'email_verification',
        recipient: req.email,
        subject: VERIFY_MAIL_SUBJECT,
        body: verifyMailBody({ token, ttlMs: req.ttlMs, verifyUrl: req.verifyUrl }),
      },
      req.now,
    ),
  ]);
}

export type ConfirmResult =
  | { ok: true; userId: string }
  | { ok: false; reason: 'invalid_or_expired' | 'address_changed' };

/** Uses the link if it is known, unused and unexpired, and confirms the address it was sent to. */
export async function confirmEmail(db: Database, token: string, now: number): Promise<ConfirmResult> {
  if (!isVerifyTokenShaped(token)) return { ok: false, reason: 'invalid_or_expired' };
  const claimed = await claimEmailVerification(db, await sha256Hex(token), now);
  if (!claimed) return { ok: false, reason: 'invalid_or_expired' };
  if (!(await markEmailVerified(db, claimed.userId, claimed.email, now)))
    return { ok: false, reason: 'address_changed' };
  return { ok: true, userId: claimed.userId };
}
