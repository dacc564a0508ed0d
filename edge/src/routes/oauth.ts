import { type Context, Hono } from 'hono';
import { database } from '../db/client.ts';
import { enabledProviders, type OAuthProvider } from '../domain/oauth/config.ts';
import type { AppEnv } from '../env.ts';
import type { ErrorCode } from '../errors/codes.ts';
import { ipKey, rateLimit } from '../middleware/rate-limit.ts';
import type { OAuthFlowRow } from '../repositories/oauth-flows.ts';
import { completeLink, completeLogin, completeReauth } from '../services/oauth/complete.ts';
import {
  beginFlow,
  claimCallbackFlow,
  providerParam,
  providerSettings,
  redirectPath,
} from '../services/oauth/flow.ts';
import { githubProfile, googleProfile } from '../services/oauth/providers.ts';
import { startFamily } from '../services/refresh-tokens.ts';
import { audit, setRefreshCookie } from './session.ts';

/**
 * Sign in with Google and GitHub (issue 14, docs/auth.md): the providers offered, the start of a
 * login, and the one callback every flow (login, link, re-verification) returns to. The callback is
 * a browser navigation, so it answers with a redirect to the configured console, never anywhere a
 * parameter says: on success with the refresh cookie set (the console's next refresh gets the
 * access token, which never appears in a URL), on failure with `?oauth_error=<code>` (details are
 * logged and audited, never put in the URL).
 */

const PROVIDER_NAMES: Record<OAuthProvider, string> = { google: 'Google', github: 'GitHub' };

const oauthLimit = rateLimit({ name: 'oauth', rule: (cfg) => cfg.oauth.rateLimit, key: ipKey });

const AUDIT_ACTION: Record<OAuthFlowRow['purpose'], string> = {
  login: 'auth.oauth_login',
  link: 'user.identity_linked',
  reauth: 'auth.reauth',
};

function consoleRedirect(c: Context<AppEnv>, path: string, params: Record<string, string>): Response {
  const target = new URL(`${c.get('config').oauth.consoleUrl}${path}`);
  for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
  c.header('Cache-Control', 'no-store');
  return c.redirect(target.toString(), 303);
}

async function failure(
  c: Context<AppEnv>,
  flow: OAuthFlowRow | null,
  code: ErrorCode,
  reason: string,
): Promise<Response> {
  const db = database(c.env.DB);
  c.get('logger').warn('oauth callback failed', { code, reason, purpose: flow?.purpose ?? null });
  await audit(
    c,
    db,
    {
      action: AUDIT_ACTION[flow?.purpose ?? 'login'],
      outcome: 'failure',
      actorUserId: flow?.userId ?? null,
      metadata: { provider: c.req.param('provider') ?? null, reason },
    },
    Date.now(),
  );
  return consoleRedirect(c, flow?.redirectPath ?? '/', { oauth_error: code });
}

export const oauthRoutes = new Hono<AppEnv>()
  .get('/v1/auth/providers', (c) =>
    c.json({
      providers: enabledProviders(c.get('config').oauth).map((id) => ({
        id,
        name: PROVIDER_NAMES[id],
        url: `/v1/auth/oauth/${id}/start`,
      })),
    }),
  )
  .get('/v1/auth/oauth/:provider/start', oauthLimit, async (c) => {
    const provider = providerParam(c.req.param('provider'));
    providerSettings(c, provider);
    const path = redirectPath(c, c.req.query('redirect'), '/');
    const url = await beginFlow(c, { provider, purpose: 'login', userId: null, redirectPath: path });
    c.header('Cache-Control', 'no-store');
    return c.redirect(url.toString(), 302);
  })
  .get('/v1/auth/oauth/:provider/callback', oauthLimit, async (c) => {
    const provider = providerParam(c.req.param('provider'));
    if (!c.get('config').oauth[provider])
      return failure(c, null, 'oauth_provider_disabled', 'provider_disabled');
    const claimed = await claimCallbackFlow(c, provider);
    if (!claimed.ok) return failure(c, claimed.flow, 'oauth_state_invalid', claimed.reason);
    const { flow, codeVerifier } = claimed;
    if (c.req.query('error') !== undefined) return failure(c, flow, 'oauth_denied', 'provider_error_param');
    if (!codeVerifier) return failure(c, flow, 'oauth_pkce_missing', 'no_code_verifier');
    const code = c.req.query('code');
    if (!code) return failure(c, flow, 'oauth_provider_error', 'no_code');

    const { oauth, auth } = c.get('config');
    const now = Date.now();
    const fetched =
      provider === 'google'
        ? oauth.google &&
          (await googleProfile(oauth, oauth.google, {
            code,
            codeVerifier,
            nonce: flow.nonce ?? '',
            now,
            ...(flow.purpose === 'reauth' ? { authenticatedSince: flow.createdAt } : {}),
          }))
        : oauth.github && (await githubProfile(oauth, oauth.github, { code, codeVerifier }));
    if (!fetched) return failure(c, flow, 'oauth_provider_disabled', 'provider_disabled');
    if (!fetched.ok) {
      const tokenProblem = fetched.reason.startsWith('id_token_');
      return failure(c, flow, tokenProblem ? 'oauth_token_invalid' : 'oauth_provider_error', fetched.reason);
    }

    const db = database(c.env.DB);
    const done =
      flow.purpose === 'login'
        ? await completeLogin(c, db, provider, fetched.profile, now)
        : flow.purpose === 'link'
          ? await completeLink(db, flow, fetched.profile, now)
          : await completeReauth(db, flow, fetched.profile);
    if (!done.ok) return failure(c, flow, done.code, done.reason);

    await audit(
      c,
      db,
      {
        action: AUDIT_ACTION[flow.purpose],
        actorUserId: done.userId,
        targetType: 'user',
        targetId: done.userId,
        metadata: { provider, method: 'oauth', created: done.created === true },
      },
      now,
    );
    if (!done.session) return consoleRedirect(c, flow.redirectPath, { linked: provider });
    // A new sign-in: a new family whose access tokens carry this moment as auth_time.
    const refresh = await startFamily(db, done.userId, now, auth.refreshTokenTtlMs);
    setRefreshCookie(c, refresh, now);
    return consoleRedirect(c, flow.redirectPath, { signed_in: provider });
  });
