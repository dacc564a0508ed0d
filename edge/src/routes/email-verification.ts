import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { database } from '../db/client.ts';
import { senderFor } from '../domain/outbox/sender.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { jsonBody } from '../lib/validate.ts';
import { ipKey, principalKey, rateLimit } from '../middleware/rate-limit.ts';
import { findUserById } from '../repositories/users.ts';
import { afterResponse } from '../services/after-response.ts';
import { confirmEmail, createEmailVerification } from '../services/email-verification.ts';
import { drainOutbox } from '../services/outbox.ts';
import { audit } from './session.ts';

/**
 * Email confirmation (issue 14, item 5): `POST /v1/auth/email/verify` uses a mailed link's token;
 * `POST /v1/me/email/verification` mails a new link to the signed-in user's address. Registration
 * mails the first link (auth.ts, through `sendVerificationMail`). The limits are the reset mail's.
 */

export const verifyBody = z.strictObject({ token: z.string().min(1).max(256) });

/** Queues a confirmation link for the user's address and sends the outbox, after the response. */
export async function sendVerificationMail(
  c: Context<AppEnv>,
  user: { id: string; email: string },
  now: number,
): Promise<void> {
  const { auth } = c.get('config');
  const db = database(c.env.DB);
  await afterResponse(c, 'email verification mail', async () => {
    await createEmailVerification(db, {
      userId: user.id,
      email: user.email,
      now,
      ttlMs: auth.emailVerificationTtlMs,
      verifyUrl: auth.emailVerificationUrl,
    });
    const sender = senderFor(auth.mail);
    if (sender) await drainOutbox(db, sender, auth.mail.from, c.get('logger'), Date.now);
  });
}

export const emailVerifyRoutes = new Hono<AppEnv>().post(
  '/v1/auth/email/verify',
  rateLimit({ name: 'email_verify', rule: (cfg) => cfg.auth.rateLimits.passwordReset, key: ipKey }),
  jsonBody(verifyBody),
  async (c) => {
    const db = database(c.env.DB);
    const now = Date.now();
    const result = await confirmEmail(db, c.req.valid('json').token, now);
    if (!result.ok) {
      await audit(
        c,
        db,
        { action: 'user.email_verified', outcome: 'failure', metadata: { reason: result.reason } },
        now,
      );
      throw new ApiError('invalid_verification_token');
    }
    await audit(
      c,
      db,
      {
        action: 'user.email_verified',
        actorUserId: result.userId,
        targetType: 'user',
        targetId: result.userId,
      },
      now,
    );
    return c.body(null, 204);
  },
);

/** Mounted inside meRoutes (me.ts), whose `/v1/me/*` middleware authenticates a user session. */
export const emailResendRoutes = new Hono<AppEnv>().post(
  '/v1/me/email/verification',
  rateLimit({ name: 'email_verify', rule: (cfg) => cfg.auth.rateLimits.passwordReset, key: principalKey }),
  async (c) => {
    const user = await findUserById(database(c.env.DB), c.get('principal').userId);
    if (!user) throw new ApiError('unauthorized');
    if (user.emailVerifiedAt !== null)
      throw new ApiError('conflict', { message: 'This address is already confirmed.' });
    await sendVerificationMail(c, user, Date.now());
    return c.json({ status: 'accepted' }, 202);
  },
);
