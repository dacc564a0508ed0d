import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  authFetch,
  authHeaders,
  confirmEmailOf,
  errorOf,
  jsonInit,
  registerUser,
  uniqueEmail,
  verificationTokenFor,
} from '../helpers.ts';
import {
  auditActions,
  authorize,
  callback,
  outcomeOf,
  type Provider,
  sessionFrom,
  socialLogin,
  socialUser,
  startAuthenticated,
  tokenSignedInAgo,
  uniqueSubject,
} from './support.ts';

/**
 * Issue 14, items 2–6: linking and unlinking identities, social-only accounts and passwords
 * (seed: "cannot set a password unless explicitly configured"), re-verification with the provider
 * before sensitive actions (seed: "Social accounts require re-verification via the OAuth provider"),
 * and email confirmation with what it means for social sign-ins.
 */

const FLAG_ON = { ALLOW_SOCIAL_PASSWORD: 'true' } as unknown as Partial<Env>;
const STALE_S = 10 * 60;

async function me(token: string) {
  const res = await authFetch('/v1/me', { headers: authHeaders(token) });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    id: string;
    hasPassword: boolean;
    emailVerified: boolean;
    identities: { provider: string }[];
  };
}

/** Link `provider` account `id` to the user of `token`: the link flow end to end. */
async function link(provider: Provider, token: string, id: string) {
  const started = await startAuthenticated(`/v1/me/identities/${provider}`, token);
  const path = await authorize(provider, started, { id, email: uniqueEmail('linked') });
  return outcomeOf(await callback(path, started));
}

/** Re-verify with the provider (POST /v1/auth/reauth) as provider account `id`. */
async function reverify(provider: Provider, token: string, id: string, authTime?: number) {
  const started = await startAuthenticated('/v1/auth/reauth', token, { provider });
  const path = await authorize(provider, started, { id, ...(authTime !== undefined ? { authTime } : {}) });
  return { started, out: outcomeOf(await callback(path, started)) };
}

describe('linking and unlinking', () => {
  it('a password account links GitHub, then signs in with it; unlinking removes it', async () => {
    const user = await registerUser();
    const githubId = uniqueSubject();
    const out = await link('github', user.accessToken, githubId);
    expect(out.error).toBeNull();
    expect(out.location.toString()).toBe('http://127.0.0.1:8787/account?linked=github');
    expect(out.refreshCookie).toBeNull();
    expect((await me(user.accessToken)).identities).toEqual([
      expect.objectContaining({ provider: 'github' }),
    ]);

    const login = await socialLogin('github', { id: githubId, email: uniqueEmail('other-address') });
    expect((await sessionFrom(login.refreshCookie)).user.id).toBe(user.user.id);

    const again = await authFetch(
      '/v1/me/identities/github',
      jsonInit('POST', {}, authHeaders(user.accessToken)),
    );
    expect((await errorOf(again)).code).toBe('identity_already_linked');

    const unlink = await authFetch('/v1/me/identities/github', {
      method: 'DELETE',
      headers: authHeaders(user.accessToken),
    });
    expect(unlink.status).toBe(204);
    expect((await me(user.accessToken)).identities).toEqual([]);
    const actions = (await auditActions(user.user.id)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['user.identity_linked', 'user.identity_unlinked']));
  });

  it('an identity linked to another account cannot be linked again', async () => {
    const owner = await socialUser('google');
    const other = await registerUser();
    const out = await link('google', other.accessToken, owner.id);
    expect(out.error).toBe('oauth_identity_in_use');
    expect((await me(other.accessToken)).identities).toEqual([]);
  });

  it('linking needs a recent sign-in', async () => {
    const user = await registerUser();
    const stale = await tokenSignedInAgo(user.user.id, STALE_S);
    const res = await authFetch('/v1/me/identities/google', jsonInit('POST', {}, authHeaders(stale)));
    expect((await errorOf(res)).code).toBe('reauthentication_required');
  });

  it('the last way to sign in cannot be unlinked; with a second identity it can', async () => {
    const social = await socialUser('google');
    const del = () =>
      authFetch('/v1/me/identities/google', { method: 'DELETE', headers: authHeaders(social.accessToken) });
    expect((await errorOf(await del())).code).toBe('last_sign_in_method');
    expect((await link('github', social.accessToken, uniqueSubject())).error).toBeNull();
    expect((await del()).status).toBe(204);
    expect((await me(social.accessToken)).identities).toEqual([
      expect.objectContaining({ provider: 'github' }),
    ]);
  });

  it('two unlinks at once never leave an account without a way to sign in', async () => {
    const social = await socialUser('google');
    expect((await link('github', social.accessToken, uniqueSubject())).error).toBeNull();
    const unlink = (p: Provider) =>
      authFetch(`/v1/me/identities/${p}`, { method: 'DELETE', headers: authHeaders(social.accessToken) });
    const answers = await Promise.all([unlink('google'), unlink('github')]);
    expect(answers.map((r) => r.status).sort()).toEqual([204, 409]);
    expect((await me(social.accessToken)).identities).toHaveLength(1);
  });

  it('unlinking needs a recent sign-in', async () => {
    const user = await registerUser();
    expect((await link('github', user.accessToken, uniqueSubject())).error).toBeNull();
    const stale = await tokenSignedInAgo(user.user.id, STALE_S);
    const res = await authFetch('/v1/me/identities/github', {
      method: 'DELETE',
      headers: authHeaders(stale),
    });
    expect((await errorOf(res)).code).toBe('reauthentication_required');
  });
});

describe('social-only accounts and passwords', () => {
  it('password login fails like any wrong password', async () => {
    const social = await socialUser('github');
    const res = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: social.user.email, password: 'any password at all 1234' }),
    );
    expect((await errorOf(res)).code).toBe('invalid_credentials');
  });

  it('setting a password is refused without ALLOW_SOCIAL_PASSWORD', async () => {
    const social = await socialUser('google');
    const res = await authFetch(
      '/v1/me/password',
      jsonInit('PUT', { newPassword: 'a brand new passphrase 77' }, authHeaders(social.accessToken)),
    );
    expect((await errorOf(res)).code).toBe('password_not_allowed');
    expect((await me(social.accessToken)).hasPassword).toBe(false);
  });

  it('with the flag, only after a fresh re-verification with the provider', async () => {
    const social = await socialUser('google');
    const stale = await tokenSignedInAgo(social.user.id, STALE_S);
    const body = { newPassword: 'a brand new passphrase 77' };
    const refused = await authFetch('/v1/me/password', jsonInit('PUT', body, authHeaders(stale)), FLAG_ON);
    expect((await errorOf(refused)).code).toBe('reauthentication_required');

    const { out } = await reverify('google', stale, social.id);
    expect(out.error).toBeNull();
    const fresh = await sessionFrom(out.refreshCookie);
    const set = await authFetch(
      '/v1/me/password',
      jsonInit('PUT', body, authHeaders(fresh.accessToken)),
      FLAG_ON,
    );
    expect(set.status).toBe(204);
    const login = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: social.user.email, password: body.newPassword }),
    );
    expect(login.status).toBe(200);
  });

  it('reset mail sets nothing: no message, and the account stays password-less', async () => {
    const social = await socialUser('github');
    const res = await authFetch('/v1/auth/password/forgot', jsonInit('POST', { email: social.user.email }));
    expect(res.status).toBe(202);
    const mail = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM outbox WHERE recipient = ? AND kind = 'password_reset'",
    )
      .bind(social.user.email)
      .first<{ n: number }>();
    expect(mail?.n).toBe(0);
    const resets = await env.DB.prepare('SELECT COUNT(*) AS n FROM password_resets WHERE user_id = ?')
      .bind(social.user.id)
      .first<{ n: number }>();
    expect(resets?.n).toBe(0);
  });
});

describe('re-verification and deletion', () => {
  it('deleting a social account with an old sign-in is refused; after a Google round trip it works', async () => {
    const social = await socialUser('google');
    const stale = await tokenSignedInAgo(social.user.id, STALE_S);
    const refused = await authFetch('/v1/me', jsonInit('DELETE', {}, authHeaders(stale)));
    expect((await errorOf(refused)).code).toBe('reauthentication_required');

    const { started, out } = await reverify('google', stale, social.id);
    // OIDC Core §3.1.2.1: Google is asked to make the user sign in again.
    expect(started.authorizeUrl.searchParams.get('prompt')).toBe('login');
    expect(started.authorizeUrl.searchParams.get('max_age')).toBe('0');
    expect(out.error).toBeNull();
    const fresh = await sessionFrom(out.refreshCookie);
    const del = await authFetch('/v1/me', jsonInit('DELETE', {}, authHeaders(fresh.accessToken)));
    expect(del.status).toBe(204);
    const gone = await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE id = ?')
      .bind(social.user.id)
      .first<{ n: number }>();
    expect(gone?.n).toBe(0);
  });

  it('GitHub re-verification is a fresh authorization that issues a fresh sign-in', async () => {
    const social = await socialUser('github');
    const stale = await tokenSignedInAgo(social.user.id, STALE_S);
    const { started, out } = await reverify('github', stale, social.id);
    expect(started.authorizeUrl.searchParams.get('prompt')).toBe('select_account');
    const fresh = await sessionFrom(out.refreshCookie);
    const del = await authFetch('/v1/me', jsonInit('DELETE', {}, authHeaders(fresh.accessToken)));
    expect(del.status).toBe(204);
  });

  it('a Google sign-in older than the re-verification (auth_time) does not count', async () => {
    const social = await socialUser('google');
    const stale = await tokenSignedInAgo(social.user.id, STALE_S);
    const { out } = await reverify('google', stale, social.id, Math.floor(Date.now() / 1000) - 3600);
    expect(out.error).toBe('oauth_token_invalid');
    expect(out.refreshCookie).toBeNull();
  });

  it('re-verifying as a different provider account is refused', async () => {
    const social = await socialUser('github');
    const stale = await tokenSignedInAgo(social.user.id, STALE_S);
    const { out } = await reverify('github', stale, uniqueSubject());
    expect(out.error).toBe('oauth_identity_mismatch');
    expect(out.refreshCookie).toBeNull();
  });

  it('re-verifying with a provider that is not linked is refused up front', async () => {
    const social = await socialUser('github');
    const res = await authFetch(
      '/v1/auth/reauth',
      jsonInit('POST', { provider: 'google' }, authHeaders(social.accessToken)),
    );
    expect((await errorOf(res)).code).toBe('oauth_identity_mismatch');
  });

  it('re-verifications are audited', async () => {
    const social = await socialUser('google');
    await reverify('google', social.accessToken, social.id);
    const actions = await auditActions(social.user.id);
    expect(actions).toContainEqual({ action: 'auth.reauth', outcome: 'success' });
  });
});

describe('email confirmation', () => {
  it('registration mails a link; it confirms once; a reused link is refused', async () => {
    const user = await registerUser();
    expect((await me(user.accessToken)).emailVerified).toBe(false);
    const token = await verificationTokenFor(user.user.email);
    expect(token).toMatch(/^ev_/);
    const first = await authFetch('/v1/auth/email/verify', jsonInit('POST', { token }));
    expect(first.status).toBe(204);
    expect((await me(user.accessToken)).emailVerified).toBe(true);
    const reused = await authFetch('/v1/auth/email/verify', jsonInit('POST', { token }));
    expect((await errorOf(reused)).code).toBe('invalid_verification_token');
    expect((await auditActions(user.user.id)).map((a) => a.action)).toContain('user.email_verified');
  });

  it('an expired link is refused', async () => {
    const user = await registerUser();
    const token = await verificationTokenFor(user.user.email);
    await env.DB.prepare('UPDATE email_verifications SET expires_at = ? WHERE user_id = ?')
      .bind(Date.now() - 1000, user.user.id)
      .run();
    const res = await authFetch('/v1/auth/email/verify', jsonInit('POST', { token }));
    expect((await errorOf(res)).code).toBe('invalid_verification_token');
    expect((await me(user.accessToken)).emailVerified).toBe(false);
  });

  it('an unconfirmed address receives no invitations; once confirmed it does', async () => {
    const user = await registerUser();
    const refused = await authFetch('/v1/invitations', { headers: authHeaders(user.accessToken) });
    expect((await errorOf(refused)).code).toBe('email_unverified');
    await confirmEmailOf(user.user.email);
    const ok = await authFetch('/v1/invitations', { headers: authHeaders(user.accessToken) });
    expect(ok.status).toBe(200);
  });

  it('a Google sign-in with the address of an unconfirmed password account wins it; that account is deleted', async () => {
    const squatter = await registerUser(uniqueEmail('contested'));
    const out = await socialLogin('google', { id: uniqueSubject(), email: squatter.user.email });
    expect(out.error).toBeNull();
    const owner = await sessionFrom(out.refreshCookie);
    expect(owner.user.id).not.toBe(squatter.user.id);
    expect((await me(owner.accessToken)).hasPassword).toBe(false);
    // The unconfirmed account, its sessions and its password are gone.
    const old = await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE id = ?')
      .bind(squatter.user.id)
      .first<{ n: number }>();
    expect(old?.n).toBe(0);
    expect((await authFetch('/v1/me', { headers: authHeaders(squatter.accessToken) })).status).toBe(401);
    const login = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: squatter.user.email, password: squatter.password }),
    );
    expect(login.status).toBe(401);
    const released = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.email_released' AND target_id = ?",
    )
      .bind(squatter.user.id)
      .first<{ n: number }>();
    expect(released?.n).toBe(1);
  });
});
