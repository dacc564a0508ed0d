import type { Database } from '../../db/client.ts';
import { randomToken, sha256Hex } from '../../lib/bytes.ts';
import { enqueueMessage } from '../../repositories/outbox.ts';
import { claimPasswordReset, insertPasswordReset } from '../../repositories/password-resets.ts';

/**
 * Password reset: a single-use `pr_` token (256 bits, SHA-256 at rest, 30-minute expiry by
 * default) mailed through the outbox. The reset row and its mail are written in one batch, so a
 * token is never issued without its message or the reverse. The link carries the token in the
 * URL fragment, which browsers send neither to servers nor in Referer headers.
 */

export const RESET_TOKEN_PREFIX = 'pr_';

export interface ResetRequest {
  userId: string;
  email: string;
  now: number;
  ttlMs: number;
  resetUrl: string;
}

export async function createPasswordReset(db: Database, req: ResetRequest): Promise<void> {
  const token = randomToken(RESET_TOKEN_PREFIX);
  const minutes = Math.round(req.ttlMs / 60_000);
  const link = `${req.resetUrl}#token=${token}`;
  await db.batch([
    insertPasswordReset(db, {
      userId: req.userId,
      tokenHash: await sha256Hex(token),
      now: req.now,
      expiresAt: req.now + req.ttlMs,
    }),
    enqueueMessage(
      db,
      {
        kind: 'password_reset',
        recipient: req.email,
        subject: 'Reset your Airlock password',
        body: [
          'Someone (hopefully you) asked to reset the password of your Airlock account.',
          '',
          `Open this link within ${minutes} minutes to choose a new password:`,
          link,
          '',
          `Or send this token to POST /v1/auth/password/reset: ${token}`,
          '',
          'If you did not ask for this, ignore this message; your password stays as it is.',
        ].join('\n'),
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
  if (!token.startsWith(RESET_TOKEN_PREFIX) || token.length > 128)
    return { ok: false, reason: 'invalid_or_expired' };
  const userId = await claimPasswordReset(db, await sha256Hex(token), now);
  return userId ? { ok: true, userId } : { ok: false, reason: 'invalid_or_expired' };
}
