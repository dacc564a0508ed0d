import type { Database } from '../db/client.ts';
import {
  isResetTokenShaped,
  RESET_MAIL_SUBJECT,
  RESET_TOKEN_PREFIX,
  resetMailBody,
} from '../domain/auth/password-reset.ts';
import { randomToken, sha256Hex } from '../lib/bytes.ts';
import { revokeAllApiKeysOfUser } from '../repositories/api-keys.ts';
import { enqueueMessage } from '../repositories/outbox.ts';
import {
  claimPasswordReset,
  expireOutstandingResets,
  insertPasswordReset,
} from '../repositories/password-resets.ts';
import { revokeAllFamiliesOfUser } from '../repositories/sessions.ts';
import { setPasswordHash, setTokensValidAfter } from '../repositories/users.ts';

/** Password reset in D1 (rules and mail text: domain/auth/password-reset.ts). */

/**
 * A fresh token and its hash. The forgot-password route mints one for every request, known email or
 * not, so both answers cost the same randomness and the same hash before the 202.
 */
export async function mintResetToken(): Promise<{ token: string; tokenHash: string }> {
  const token = randomToken(RESET_TOKEN_PREFIX);
  return { token, tokenHash: await sha256Hex(token) };
}

export interface ResetRequest {
  userId: string;
  email: string;
  token: string;
  tokenHash: string;
  now: number;
  ttlMs: number;
  resetUrl: string;
}

/** The reset row and its mail in one batch: a token is never issued without its message or the reverse. */
export async function createPasswordReset(db: Database, req: ResetRequest): Promise<void> {
  await db.batch([
    insertPasswordReset(db, {
      userId: req.userId,
      tokenHash: req.tokenHash,
      now: req.now,
      expiresAt: req.now + req.ttlMs,
    }),
    enqueueMessage(
      db,
      {
        kind: 'password_reset',
        recipient: req.email,
        subject: RESET_MAIL_SUBJECT,
        body: resetMailBody({ token: req.token, ttlMs: req.ttlMs, resetUrl: req.resetUrl }),
      },
      req.now,
    ),
  ]);
}

export type ConsumeResetResult = { ok: true; userId: string } | { ok: false; reason: 'invalid_or_expired' };

/** Uses the token if it is known, unused and unexpired at `now`; it never works twice. */
export async function consumePasswordReset(
  db: Database,
  token: string,
  now: number,
): Promise<ConsumeResetResult> {
  if (!isResetTokenShaped(token)) return { ok: false, reason: 'invalid_or_expired' };
  const userId = await claimPasswordReset(db, await sha256Hex(token), now);
  return userId ? { ok: true, userId } : { ok: false, reason: 'invalid_or_expired' };
}

/**
 * Account recovery, one batch: the new hash, every refresh family, every access token issued
 * before now (tokens-valid-after), every other reset token, and every API key of the user.
 */
export async function completePasswordReset(
  db: Database,
  input: { userId: string; passwordHash: string; now: number },
): Promise<void> {
  const { userId, passwordHash, now } = input;
  await db.batch([
    setPasswordHash(db, userId, passwordHash, now),
    setTokensValidAfter(db, userId, now),
    revokeAllFamiliesOfUser(db, userId, now),
    expireOutstandingResets(db, userId, now),
    revokeAllApiKeysOfUser(db, userId, now),
  ]);
}
