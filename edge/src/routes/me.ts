import { Hono } from 'hono';
import { z } from 'zod';
import { database } from '../db/client.ts';
import { hashPassword, verifyPassword } from '../domain/auth/password.ts';
import { passwordProblem } from '../domain/auth/password-policy.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { jsonBody } from '../lib/validate.ts';
import { apiLimit } from '../middleware/api-limit.ts';
import { authenticate, recentAuth, userOnly } from '../middleware/authenticate.ts';
import { principalKey, rateLimit } from '../middleware/rate-limit.ts';
import { revokeAllApiKeysOfUser } from '../repositories/api-keys.ts';
import { identitiesQuery } from '../repositories/identities.ts';
import { revokeAllFamiliesOfUser } from '../repositories/sessions.ts';
import {
  findUserById,
  setPasswordHash,
  setTokensValidAfter,
  type UserRow,
  userByIdQuery,
} from '../repositories/users.ts';
import { deleteAccount } from '../services/account-deletion.ts';
import { passwordInput as password } from './auth.ts';
import { emailResendRoutes } from './email-verification.ts';
import { identityRoutes } from './identities.ts';
import { audit, clearRefreshCookie } from './session.ts';

/**
 * /v1/me: the signed-in user's own account. A user session only (never an API key), and the
 * authenticated-API rate limit per principal. Changing the password and deleting the account
 * both require the current password; signing out everywhere does not.
 */

/** A token outliving its (deleted) account is simply not valid any more. */
function existingUser(user: UserRow | undefined): UserRow {
  if (!user) throw new ApiError('unauthorized');
  return user;
}

async function currentUser(db: ReturnType<typeof database>, userId: string): Promise<UserRow> {
  return existingUser(await findUserById(db, userId));
}

/**
 * Confirming the current password is a password guess like a login: a stolen access token must not
 * buy 120 guesses a minute, so these routes also get the login quota, per user.
 */
const reauth = rateLimit({ name: 'reauth', rule: (cfg) => cfg.auth.rateLimits.login, key: principalKey });

export const changePasswordBody = z.strictObject({
  /** Required when the account has a password; a social-only account has none to give. */
  currentPassword: password.optional(),
  newPassword: password,
  /** A change offers what a reset does: revoke every API key of the user too (default false). */
  revokeApiKeys: z.boolean().optional(),
});
export const deleteMeBody = z.strictObject({ password: password.optional() });

export const meRoutes = new Hono<AppEnv>()
  // `/v1/me/*` matches `/v1/me` itself too: one registration, so each request counts once.
  .use('/v1/me/*', authenticate({ admission: apiLimit }), userOnly(), apiLimit)
  .get('/v1/me', async (c) => {
    const principal = c.get('principal');
    const db = database(c.env.DB);
    // Both reads are keyed by the caller's id: one D1 batch, one round trip (issue 18).
    const [users, identities] = await db.batch([
      userByIdQuery(db, principal.userId),
      identitiesQuery(db, principal.userId),
    ]);
    const user = existingUser(users[0]);
    return c.json({
      id: user.id,
      email: user.email,
      isAdmin: user.isAdmin,
      hasPassword: user.passwordHash !== null,
      emailVerified: user.emailVerifiedAt !== null,
      identities: identities.map((i) => ({
        provider: i.provider,
        email: i.email,
        linkedAt: new Date(i.createdAt).toISOString(),
      })),
      createdAt: new Date(user.createdAt).toISOString(),
    });
  })
  .put('/v1/me/password', reauth, jsonBody(changePasswordBody), async (c) => {
    const { currentPassword, newPassword, revokeApiKeys } = c.req.valid('json');
    const { auth } = c.get('config');
    const db = database(c.env.DB);
    const principal = c.get('principal');
    const user = await currentUser(db, principal.userId);
    const now = Date.now();
    if (!user.passwordHash) {
      // Social login isolation (seed): a social-only account gets a password only where the
      // operator allows it, and then only right after a provider sign-in or re-verification.
      if (!c.get('config').oauth.allowSocialPassword) {
        await audit(
          c,
          db,
          { action: 'user.password_set', outcome: 'failure', metadata: { reason: 'not_allowed' } },
          now,
        );
        throw new ApiError('password_not_allowed');
      }
      if (principal.kind !== 'user' || now - principal.authenticatedAt > auth.recentAuthMs)
        throw new ApiError('reauthentication_required');
    }
    const problem = passwordProblem(newPassword);
    if (problem) throw new ApiError('weak_password', { details: { problem } });
    if (user.passwordHash) {
      if (currentPassword === undefined)
        throw new ApiError('validation_failed', { message: 'currentPassword is required.' });
      const verified = await verifyPassword(currentPassword, user.passwordHash, auth.hashParams);
      if (!verified.ok) {
        await audit(c, db, { action: 'user.password_change', outcome: 'failure', actorUserId: user.id }, now);
        throw new ApiError('password_incorrect');
      }
    }
    // Every session and every access token issued before now end (tokens-valid-after).
    await db.batch([
      setPasswordHash(db, user.id, await hashPassword(newPassword, auth.hashParams), now),
      revokeAllFamiliesOfUser(db, user.id, now),
      setTokensValidAfter(db, user.id, now),
      ...(revokeApiKeys ? [revokeAllApiKeysOfUser(db, user.id, now)] : []),
    ]);
    await audit(
      c,
      db,
      {
        action: user.passwordHash ? 'user.password_change' : 'user.password_set',
        actorUserId: user.id,
        metadata: { revokedApiKeys: revokeApiKeys === true },
      },
      now,
    );
    clearRefreshCookie(c);
    return c.body(null, 204);
  })
  // Sign out everywhere: every refresh family of the user is revoked and every access token issued
  // before now stops working at its next request (tokens-valid-after). No password: it only takes
  // access away, and a user who suspects a stolen session must be able to end it at once.
  .post('/v1/me/sessions/revoke', async (c) => {
    const db = database(c.env.DB);
    const user = await currentUser(db, c.get('principal').userId);
    const now = Date.now();
    await db.batch([revokeAllFamiliesOfUser(db, user.id, now), setTokensValidAfter(db, user.id, now)]);
    await audit(c, db, { action: 'user.sessions_revoke', actorUserId: user.id }, now);
    clearRefreshCookie(c);
    return c.body(null, 204);
  })
  .delete('/v1/me', recentAuth(), reauth, jsonBody(deleteMeBody), async (c) => {
    const { auth } = c.get('config');
    const db = database(c.env.DB);
    const user = await currentUser(db, c.get('principal').userId);
    const now = Date.now();
    // A password account confirms its password too. A social-only account has none: its proof is
    // recentAuth() above, a provider sign-in or re-verification (POST /v1/auth/reauth) this recent.
    if (user.passwordHash) {
      const given = c.req.valid('json').password;
      if (given === undefined) throw new ApiError('validation_failed', { message: 'password is required.' });
      const verified = await verifyPassword(given, user.passwordHash, auth.hashParams);
      if (!verified.ok) {
        await audit(c, db, { action: 'user.delete', outcome: 'failure', actorUserId: user.id }, now);
        throw new ApiError('password_incorrect');
      }
    }
    const plan = await deleteAccount(db, c.env.FILES, user);
    for (const p of plan.promote) {
      await audit(
        c,
        db,
        {
          action: 'org.ownership_transfer',
          actorUserId: user.id,
          orgId: p.orgId,
          targetType: 'user',
          targetId: p.userId,
        },
        now,
      );
    }
    await audit(
      c,
      db,
      {
        action: 'user.delete',
        actorUserId: user.id,
        targetType: 'user',
        targetId: user.id,
        metadata: { deletedOrgs: plan.deleteOrgs, transferredOrgs: plan.promote.map((p) => p.orgId) },
      },
      now,
    );
    clearRefreshCookie(c);
    return c.body(null, 204);
  })
  .route('/', identityRoutes)
  .route('/', emailResendRoutes);
