import { Hono } from 'hono';
import { database } from '../db/client.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { recentAuth } from '../middleware/authenticate.ts';
import { deleteIdentityKeepingAWayIn, identitiesOf } from '../repositories/identities.ts';
import { findUserById } from '../repositories/users.ts';
import { beginFlow, providerParam, providerSettings, redirectPath } from '../services/oauth/flow.ts';
import { audit } from './session.ts';

/**
 * /v1/me/identities: linking a Google or GitHub account to the signed-in user, and unlinking it
 * (issue 14). Linking is the only way an existing account gains a provider identity (a social
 * sign-in never attaches itself to an account by email); it starts a provider round trip whose
 * callback (routes/oauth.ts) records the identity. Both need a recent sign-in (sudo mode). The
 * last way to sign in (no password, one identity) cannot be unlinked.
 */

/** Mounted inside meRoutes (me.ts), whose `/v1/me/*` middleware authenticates a user session. */
export const identityRoutes = new Hono<AppEnv>()
  .post('/v1/me/identities/:provider', recentAuth(), async (c) => {
    const provider = providerParam(c.req.param('provider'));
    providerSettings(c, provider);
    const userId = c.get('principal').userId;
    const linked = await identitiesOf(database(c.env.DB), userId);
    if (linked.some((i) => i.provider === provider)) throw new ApiError('identity_already_linked');
    const url = await beginFlow(c, {
      provider,
      purpose: 'link',
      userId,
      redirectPath: redirectPath(c, c.req.query('redirect'), '/account'),
    });
    c.header('Cache-Control', 'no-store');
    return c.json({ authorizationUrl: url.toString() });
  })
  .delete('/v1/me/identities/:provider', recentAuth(), async (c) => {
    const provider = providerParam(c.req.param('provider'));
    const db = database(c.env.DB);
    const userId = c.get('principal').userId;
    const user = await findUserById(db, userId);
    if (!user) throw new ApiError('unauthorized');
    const linked = await identitiesOf(db, userId);
    if (!linked.some((i) => i.provider === provider)) throw new ApiError('not_found');
    const now = Date.now();
    // Checked here for a clear answer, and again inside the DELETE against concurrent unlinks.
    if (
      !(user.passwordHash || linked.length > 1) ||
      !(await deleteIdentityKeepingAWayIn(db, userId, provider))
    ) {
      await audit(
        c,
        db,
        {
          action: 'user.identity_unlinked',
          outcome: 'failure',
          metadata: { provider, reason: 'last_method' },
        },
        now,
      );
      throw new ApiError('last_sign_in_method');
    }
    await audit(
      c,
      db,
      { action: 'user.identity_unlinked', targetType: 'user', targetId: userId, metadata: { provider } },
      now,
    );
    return c.body(null, 204);
  });
