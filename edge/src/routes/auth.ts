import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { database } from '../db/client.ts';
import { issueAccessToken } from '../domain/auth/access-token.ts';
import { emailSchema } from '../domain/auth/email.ts';
import { burnHash, hashPassword, verifyPassword } from '../domain/auth/password.ts';
import { passwordProblem } from '../domain/auth/password-policy.ts';
import { OAUTH_PROVIDERS } from '../domain/oauth/config.ts';
import { senderFor } from '../domain/outbox/sender.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { sha256Hex } from '../lib/bytes.ts';
import { jsonBody } from '../lib/validate.ts';
import { authenticate, userOnly } from '../middleware/authenticate.ts';
import { hitLimit, ipKey, peekLimit, principalKey, rateLimit, refusal } from '../middleware/rate-limit.ts';
import { identitiesOf } from '../repositories/identities.ts';
import { personalOrgInserts } from '../repositories/orgs.ts';
import { findUserByEmail, findUserById, insertUser, setPasswordHash } from '../repositories/users.ts';
import { afterResponse } from '../services/after-response.ts';
import { beginFlow, redirectPath } from '../services/oauth/flow.ts';
import { drainOutbox } from '../services/outbox.ts';
import {
  completePasswordReset,
  consumePasswordReset,
  createPasswordReset,
  mintResetToken,
} from '../services/password-reset.ts';
import { revokeFamilyOf, rotateRefreshToken, startFamily } from '../services/refresh-tokens.ts';
import { sendVerificationMail } from './email-verification.ts';
import { audit, clearRefreshCookie, refreshCookie, sessionResponse } from './session.ts';

/**
 * /v1/auth: registration, login, refresh, logout, re-authentication and password reset
 * (docs/auth.md). Failures that could reveal whether an account exists share one answer and one
 * cost: login hashes a dummy password for unknown emails, forgot-password always answers 202 after
 * the same work, and the per-account throttle counts by email whether or not an account has it.
 */

/** Upper bound before hashing: a long password costs no more than the policy maximum allows. */
export const passwordInput = z.string().min(1).max(1024);
export const credentials = z.strictObject({ email: emailSchema, password: passwordInput });
export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(256).optional() });
export const forgotBody = z.strictObject({ email: emailSchema });
export const resetBody = z.strictObject({ token: z.string().min(1).max(256), password: passwordInput });
export const reauthBody = z.union([
  z.strictObject({ password: passwordInput }),
  /** Social accounts: a provider round trip (the answer's authorizationUrl), back to `redirect`. */
  z.strictObject({ provider: z.enum(OAUTH_PROVIDERS), redirect: z.string().max(200).optional() }),
]);

// ── Per-account throttling: failures per email across all IPs, known or unknown alike ─────────

const ACCOUNT = 'account';

async function accountKey(email: string): Promise<string> {
  return `email:${await sha256Hex(email)}`;
}

/** 429 when this email has used up its quota (nothing is counted); identical for unknown emails. */
async function refuseIfAccountThrottled(c: Context<AppEnv>, email: string): Promise<void> {
  const rule = c.get('config').auth.rateLimits.account;
  const decision = await peekLimit(c, ACCOUNT, await accountKey(email), rule);
  if (!decision.allowed) {
    c.get('logger').warn('rate limited', { limit: ACCOUNT });
    throw refusal(ACCOUNT, rule, decision);
  }
}

/** Counts one failure (or reset request) against the email; `enforce` refuses when over the quota. */
async function countAgainstAccount(c: Context<AppEnv>, email: string, enforce = false): Promise<void> {
  const rule = c.get('config').auth.rateLimits.account;
  const decision = await hitLimit(c, ACCOUNT, await accountKey(email), rule);
  if (enforce && !decision.allowed) {
    c.get('logger').warn('rate limited', { limit: ACCOUNT });
    throw refusal(ACCOUNT, rule, decision);
  }
}

function assertStrongPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new ApiError('weak_password', { details: { problem } });
}

function isUniqueEmailViolation(err: unknown): boolean {
  const text = `${err instanceof Error ? err.message : ''} ${err instanceof Error && err.cause instanceof Error ? err.cause.message : ''}`;
  return /UNIQUE constraint failed: users\.email/.test(text);
}

/** `{refreshToken}` from a JSON body, else the cookie (a browser sends no body). */
async function presentedRefreshToken(c: Context<AppEnv>): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (type.toLowerCase().startsWith('application/json')) {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new ApiError('invalid_json');
    }
    const parsed = refreshBody.safeParse(raw);
    if (!parsed.success) throw new ApiError('validation_failed');
    if (parsed.data.refreshToken) return parsed.data.refreshToken;
  }
  return refreshCookie(c);
}

export const authRoutes = new Hono<AppEnv>()
  .post(
    '/v1/auth/register',
    rateLimit({ name: 'register', rule: (cfg) => cfg.auth.rateLimits.register, key: ipKey }),
    jsonBody(credentials),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const { auth } = c.get('config');
      const db = database(c.env.DB);
      // Checked before the email is looked at, so this answer says nothing about existence.
      assertStrongPassword(password);
      const passwordHash = await hashPassword(password, auth.hashParams);
      const now = Date.now();
      const userId = crypto.randomUUID();
      try {
        await db.batch([
          insertUser(db, { id: userId, email, passwordHash, now }),
          ...personalOrgInserts(db, { orgId: crypto.randomUUID(), userId, name: 'Personal', now }),
        ]);
      } catch (err) {
        if (!isUniqueEmailViolation(err)) throw err;
        await audit(
          c,
          db,
          { action: 'auth.register', outcome: 'failure', metadata: { reason: 'email_taken' } },
          now,
        );
        throw new ApiError('registration_failed');
      }
      await audit(
        c,
        db,
        { action: 'auth.register', actorUserId: userId, targetType: 'user', targetId: userId },
        now,
      );
      await sendVerificationMail(c, { id: userId, email }, now);
      const refresh = await startFamily(db, userId, now, auth.refreshTokenTtlMs);
      return sessionResponse(c, { id: userId, email }, refresh, now, 201);
    },
  )
  .post(
    '/v1/auth/login',
    rateLimit({ name: 'login', rule: (cfg) => cfg.auth.rateLimits.login, key: ipKey }),
    jsonBody(credentials),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const { auth } = c.get('config');
      await refuseIfAccountThrottled(c, email);
      const db = database(c.env.DB);
      const user = await findUserByEmail(db, email);
      const now = Date.now();
      const fail = async (reason: string, userId: string | null) => {
        await countAgainstAccount(c, email);
        await audit(
          c,
          db,
          { action: 'auth.login', outcome: 'failure', actorUserId: userId, metadata: { reason } },
          now,
        );
        return new ApiError('invalid_credentials');
      };
      if (!user?.passwordHash) {
        await burnHash(password, auth.hashParams);
        throw await fail(user ? 'no_password' : 'unknown_email', user?.id ?? null);
      }
      const verified = await verifyPassword(password, user.passwordHash, auth.hashParams);
      if (!verified.ok) throw await fail('wrong_password', user.id);
      if (verified.needsRehash) {
        await setPasswordHash(db, user.id, await hashPassword(password, auth.hashParams), now);
      }
      await audit(
        c,
        db,
        { action: 'auth.login', actorUserId: user.id, metadata: { rehashed: verified.needsRehash } },
        now,
      );
      const refresh = await startFamily(db, user.id, now, auth.refreshTokenTtlMs);
      return sessionResponse(c, user, refresh, now);
    },
  )
  .post(
    '/v1/auth/refresh',
    rateLimit({ name: 'refresh', rule: (cfg) => cfg.auth.rateLimits.refresh, key: ipKey }),
    async (c) => {
      const token = await presentedRefreshToken(c);
      const db = database(c.env.DB);
      const now = Date.now();
      const rejected = () => {
        clearRefreshCookie(c);
        return new ApiError('invalid_refresh_token');
      };
      if (!token) throw rejected();
      const result = await rotateRefreshToken(db, token, now);
      if (!result.ok) {
        if (result.reason === 'reused') {
          c.get('logger').warn('refresh token reuse: family revoked', { familyId: result.familyId });
          await audit(
            c,
            db,
            {
              action: 'auth.refresh_reuse',
              outcome: 'failure',
              actorUserId: result.userId,
              targetType: 'session_family',
              targetId: result.familyId,
            },
            now,
          );
        }
        throw rejected();
      }
      const user = await findUserById(db, result.userId);
      if (!user) throw rejected();
      return sessionResponse(c, user, result.refresh, now);
    },
  )
  .post(
    '/v1/auth/logout',
    rateLimit({ name: 'logout', rule: (cfg) => cfg.auth.rateLimits.logout, key: ipKey }),
    async (c) => {
      const token = await presentedRefreshToken(c);
      const db = database(c.env.DB);
      const now = Date.now();
      const revoked = token ? await revokeFamilyOf(db, token, now) : null;
      if (revoked) {
        await audit(
          c,
          db,
          {
            action: 'auth.logout',
            actorUserId: revoked.userId,
            targetType: 'session_family',
            targetId: revoked.familyId,
          },
          now,
        );
      }
      clearRefreshCookie(c);
      return c.body(null, 204);
    },
  )
  .post(
    '/v1/auth/reauth',
    authenticate(),
    userOnly(),
    // A password guess like a login: the login quota, per user.
    rateLimit({ name: 'reauth', rule: (cfg) => cfg.auth.rateLimits.login, key: principalKey }),
    jsonBody(reauthBody),
    async (c) => {
      const { auth } = c.get('config');
      const db = database(c.env.DB);
      const userId = c.get('principal').userId;
      const user = await findUserById(db, userId);
      if (!user) throw new ApiError('unauthorized');
      const body = c.req.valid('json');
      if ('provider' in body) {
        // The provider's callback issues the fresh session (routes/oauth.ts); only the linked account counts.
        const linked = (await identitiesOf(db, userId)).some((i) => i.provider === body.provider);
        if (!linked) throw new ApiError('oauth_identity_mismatch');
        const url = await beginFlow(c, {
          provider: body.provider,
          purpose: 'reauth',
          userId,
          redirectPath: redirectPath(c, body.redirect, '/account'),
        });
        c.header('Cache-Control', 'no-store');
        return c.json({ authorizationUrl: url.toString() });
      }
      // A social-only account has no password: it re-verifies with its provider (above).
      if (!user.passwordHash) throw new ApiError('reauthentication_required');
      const now = Date.now();
      const verified = await verifyPassword(body.password, user.passwordHash, auth.hashParams);
      if (!verified.ok) {
        await audit(c, db, { action: 'auth.reauth', outcome: 'failure', actorUserId: userId }, now);
        throw new ApiError('password_incorrect');
      }
      await audit(c, db, { action: 'auth.reauth', actorUserId: userId }, now);
      const access = await issueAccessToken(
        { ...auth, ttlSeconds: auth.accessTokenTtlSeconds },
        { userId, authenticatedAt: now },
        now,
      );
      c.header('Cache-Control', 'no-store');
      return c.json({ accessToken: access.token, expiresIn: access.expiresIn, tokenType: 'Bearer' });
    },
  )
  .post(
    '/v1/auth/password/forgot',
    rateLimit({ name: 'password', rule: (cfg) => cfg.auth.rateLimits.passwordReset, key: ipKey }),
    jsonBody(forgotBody),
    async (c) => {
      const { email } = c.req.valid('json');
      const { auth } = c.get('config');
      await countAgainstAccount(c, email, true);
      const db = database(c.env.DB);
      const now = Date.now();
      // The same work before the 202 whatever the email: one lookup, one token minted and hashed.
      // Everything that differs (the reset row, the mail, the audit row) runs after the response.
      const user = await findUserByEmail(db, email);
      const minted = await mintResetToken();
      // Social-only accounts have no password to reset (a password is never added behind their back).
      const target = user?.passwordHash ? user : null;
      await afterResponse(c, 'password reset request', async () => {
        if (!target) {
          await audit(
            c,
            db,
            {
              action: 'auth.password_reset_requested',
              outcome: 'failure',
              metadata: { reason: 'no_local_account' },
            },
            now,
          );
          return;
        }
        await createPasswordReset(db, {
          ...minted,
          userId: target.id,
          email: target.email,
          now,
          ttlMs: auth.passwordResetTtlMs,
          resetUrl: auth.passwordResetUrl,
        });
        await audit(c, db, { action: 'auth.password_reset_requested', actorUserId: target.id }, now);
        const sender = senderFor(auth.mail);
        if (sender) await drainOutbox(db, sender, auth.mail.from, c.get('logger'), Date.now);
      });
      return c.json(
        {
          status: 'accepted',
          message: 'If an account with a password exists for this email, a reset link is on its way.',
        },
        202,
      );
    },
  )
  .post(
    '/v1/auth/password/reset',
    rateLimit({ name: 'password', rule: (cfg) => cfg.auth.rateLimits.passwordReset, key: ipKey }),
    jsonBody(resetBody),
    async (c) => {
      const { token, password } = c.req.valid('json');
      const { auth } = c.get('config');
      const db = database(c.env.DB);
      assertStrongPassword(password);
      const now = Date.now();
      const consumed = await consumePasswordReset(db, token, now);
      if (!consumed.ok) {
        await audit(
          c,
          db,
          { action: 'user.password_reset', outcome: 'failure', metadata: { reason: consumed.reason } },
          now,
        );
        throw new ApiError('invalid_reset_token');
      }
      const passwordHash = await hashPassword(password, auth.hashParams);
      await completePasswordReset(db, { userId: consumed.userId, passwordHash, now });
      await audit(
        c,
        db,
        { action: 'user.password_reset', actorUserId: consumed.userId, metadata: { revokedApiKeys: 'all' } },
        now,
      );
      clearRefreshCookie(c);
      return c.body(null, 204);
    },
  );
