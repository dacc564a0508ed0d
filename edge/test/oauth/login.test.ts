import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { authFetch, authHeaders, confirmEmailOf, jsonInit, registerUser, uniqueEmail } from '../helpers.ts';
import {
  auditActions,
  authorize,
  callback,
  FLOW_COOKIE,
  outcomeOf,
  type Provider,
  type Scenario,
  sessionFrom,
  socialLogin,
  startLogin,
  uniqueSubject,
} from './support.ts';

/**
 * Issue 14, items 1, 2 and 6: sign in with Google (OpenID Connect, real signed ID tokens from
 * oauth2-mock-server) and GitHub (a GitHub-shaped server), PKCE + state + nonce bound to the browser,
 * and the checks RFC 9700 (OAuth 2.0 Security BCP) and OIDC Core §3.1.3.7 ask for.
 */

async function me(token: string) {
  const res = await authFetch('/v1/me', { headers: authHeaders(token) });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    id: string;
    email: string;
    hasPassword: boolean;
    emailVerified: boolean;
    identities: { provider: string; email: string | null }[];
  };
}

async function userCountWith(email: string): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE email = ?')
    .bind(email)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe('providers', () => {
  it('lists the providers that have credentials', async () => {
    const res = await authFetch('/v1/auth/providers');
    expect(await res.json()).toEqual({
      providers: [
        { id: 'google', name: 'Google', url: '/v1/auth/oauth/google/start' },
        { id: 'github', name: 'GitHub', url: '/v1/auth/oauth/github/start' },
      ],
    });
  });

  it('a provider without credentials is not offered, and its start answers 404', async () => {
    const off = { GITHUB_CLIENT_ID: undefined, GITHUB_CLIENT_SECRET: undefined } as unknown as Partial<Env>;
    const listed = (await (await authFetch('/v1/auth/providers', {}, off)).json()) as {
      providers: { id: string }[];
    };
    expect(listed.providers.map((p) => p.id)).toEqual(['google']);
    const start = await authFetch('/v1/auth/oauth/github/start', { redirect: 'manual' }, off);
    expect(start.status).toBe(404);
  });
});

describe.each<[Provider]>([['google'], ['github']])('%s sign-in', (provider) => {
  it('first sign-in creates an account with no password, verified address and personal org; the next signs into it', async () => {
    const email = uniqueEmail(provider);
    const id = uniqueSubject();
    const first = await socialLogin(provider, { id, email });
    expect(first.error).toBeNull();
    expect(first.location.toString()).toBe(`http://127.0.0.1:8787/?signed_in=${provider}`);
    const refreshLine = first.res.headers.getSetCookie().find((l) => l.startsWith('__Secure-airlock_rt='));
    expect(refreshLine).toMatch(/HttpOnly/);
    expect(refreshLine).toMatch(/SameSite=Strict/);
    const session = await sessionFrom(first.refreshCookie);
    const profile = await me(session.accessToken);
    expect(profile).toMatchObject({ email, hasPassword: false, emailVerified: true });
    expect(profile.identities).toEqual([expect.objectContaining({ provider, email })]);
    const orgs = await authFetch('/v1/orgs', { headers: authHeaders(session.accessToken) });
    expect(((await orgs.json()) as { orgs: { personal: boolean }[] }).orgs).toEqual([
      expect.objectContaining({ personal: true }),
    ]);

    const again = await socialLogin(provider, { id, email });
    expect((await sessionFrom(again.refreshCookie)).user.id).toBe(session.user.id);
    expect(await userCountWith(email)).toBe(1);
    expect((await auditActions(session.user.id)).filter((a) => a.action === 'auth.oauth_login')).toHaveLength(
      2,
    );
  });

  it('the authorization request uses PKCE S256 and the state the cookie binds; Google adds a nonce', async () => {
    const started = await startLogin(provider);
    const q = started.authorizeUrl.searchParams;
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('redirect_uri')).toBe(`http://127.0.0.1:8787/v1/auth/oauth/${provider}/callback`);
    const [state, verifier] = started.flowCookie.slice(FLOW_COOKIE.length + 1).split('.');
    expect(q.get('state')).toBe(state);
    // The verifier travels only in the cookie, never to the provider's front channel.
    expect(started.authorizeUrl.toString()).not.toContain(verifier);
    if (provider === 'google') expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('the flow cookie is HttpOnly, Secure, SameSite=Lax and scoped to the OAuth routes', async () => {
    const res = await authFetch(`/v1/auth/oauth/${provider}/start`, { redirect: 'manual' });
    const line = res.headers.getSetCookie().find((l) => l.startsWith(`${FLOW_COOKIE}=`)) ?? '';
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/Secure/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).toMatch(/Path=\/v1\/auth\/oauth/);
    expect(line).toMatch(/Max-Age=600/);
  });

  it('a wrong state is refused and creates nothing', async () => {
    const email = uniqueEmail();
    const started = await startLogin(provider);
    const path = await authorize(provider, started, { email });
    const tampered = path.replace(/state=[^&]+/, 'state=someone-elses-state');
    const out = outcomeOf(await callback(tampered, started));
    expect(out.error).toBe('oauth_state_invalid');
    expect(out.refreshCookie).toBeNull();
    expect(await userCountWith(email)).toBe(0);
  });

  it('a callback without the flow cookie (another browser) is refused', async () => {
    const started = await startLogin(provider);
    const path = await authorize(provider, started, { email: uniqueEmail() });
    const out = outcomeOf(await callback(path, started, 'unrelated=1'));
    expect(out.error).toBe('oauth_state_invalid');
  });

  it('a replayed state (the same callback twice) works once', async () => {
    const started = await startLogin(provider);
    const path = await authorize(provider, started, { id: uniqueSubject(), email: uniqueEmail() });
    expect(outcomeOf(await callback(path, started)).error).toBeNull();
    const replay = outcomeOf(await callback(path, started));
    expect(replay.error).toBe('oauth_state_invalid');
    expect(replay.refreshCookie).toBeNull();
  });

  it('an expired flow is refused', async () => {
    const started = await startLogin(provider);
    const path = await authorize(provider, started, { email: uniqueEmail() });
    await env.DB.prepare('UPDATE oauth_flows SET expires_at = ? WHERE provider = ?')
      .bind(Date.now() - 1, provider)
      .run();
    expect(outcomeOf(await callback(path, started)).error).toBe('oauth_state_invalid');
  });

  it('a flow cookie without the PKCE verifier is refused (and the state is spent)', async () => {
    const email = uniqueEmail();
    const started = await startLogin(provider);
    const path = await authorize(provider, started, { email });
    const stateOnly = started.flowCookie.split('.')[0] ?? '';
    const out = outcomeOf(await callback(path, started, stateOnly));
    expect(out.error).toBe('oauth_pkce_missing');
    expect(await userCountWith(email)).toBe(0);
    expect(outcomeOf(await callback(path, started)).error).toBe('oauth_state_invalid');
  });

  it('a wrong PKCE verifier is refused by the provider', async () => {
    const email = uniqueEmail();
    const started = await startLogin(provider);
    const path = await authorize(provider, started, { email });
    const [state] = started.flowCookie.split('.');
    const out = outcomeOf(await callback(path, started, `${state}.${'A'.repeat(43)}`));
    expect(out.error).toBe('oauth_provider_error');
    expect(await userCountWith(email)).toBe(0);
  });

  it('a provider error (user denied) ends the flow with oauth_denied', async () => {
    const started = await startLogin(provider);
    const state = started.authorizeUrl.searchParams.get('state');
    const out = outcomeOf(
      await callback(`/v1/auth/oauth/${provider}/callback?error=access_denied&state=${state}`, started),
    );
    expect(out.error).toBe('oauth_denied');
  });
});

describe('Google ID token checks (OIDC Core §3.1.3.7)', () => {
  it.each<[string, Scenario]>([
    ['wrong audience', { tamper: 'aud' }],
    ['wrong issuer', { tamper: 'iss' }],
    ['wrong nonce', { tamper: 'nonce' }],
    ['expired', { tamper: 'expired' }],
    ['alg: none', { tamper: 'alg_none' }],
  ])('%s: refused, no account', async (_name, scenario) => {
    const email = uniqueEmail('tampered');
    const out = await socialLogin('google', { ...scenario, email, id: uniqueSubject() });
    expect(out.error).toBe('oauth_token_invalid');
    expect(out.refreshCookie).toBeNull();
    expect(await userCountWith(email)).toBe(0);
  });

  it('an unverified email is refused', async () => {
    const email = uniqueEmail('unverified');
    const out = await socialLogin('google', { email, emailVerified: false, id: uniqueSubject() });
    expect(out.error).toBe('oauth_email_unverified');
    expect(await userCountWith(email)).toBe(0);
  });
});

describe('GitHub email', () => {
  it('an account whose primary address is not verified is refused (a verified secondary does not count)', async () => {
    const email = uniqueEmail('octo');
    const id = uniqueSubject();
    const out = await socialLogin('github', { id, email, emailVerified: false });
    expect(out.error).toBe('oauth_email_unverified');
    expect(await userCountWith(email)).toBe(0);
    expect(await userCountWith(`secondary-${id}@example.test`)).toBe(0);
  });
});

describe('no account takeover by email', () => {
  it.each<[Provider]>([['google'], ['github']])(
    '%s: a verified address matching a confirmed account is refused with oauth_account_exists',
    async (provider) => {
      const victim = await registerUser();
      await confirmEmailOf(victim.user.email);
      const out = await socialLogin(provider, { id: uniqueSubject(), email: victim.user.email });
      expect(out.error).toBe('oauth_account_exists');
      expect(out.refreshCookie).toBeNull();
      // The account is untouched: still one user, no identity attached, the password still works.
      expect(await userCountWith(victim.user.email)).toBe(1);
      const ids = await env.DB.prepare('SELECT COUNT(*) AS n FROM identities WHERE user_id = ?')
        .bind(victim.user.id)
        .first<{ n: number }>();
      expect(ids?.n).toBe(0);
      const login = await authFetch(
        '/v1/auth/login',
        jsonInit('POST', { email: victim.user.email, password: victim.password }),
      );
      expect(login.status).toBe(200);
      const failures = await env.DB.prepare(
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'auth.oauth_login' AND outcome = 'failure' AND metadata LIKE '%email_matches_account%'",
      ).first<{ n: number }>();
      expect(failures?.n).toBeGreaterThan(0);
    },
  );
});

describe('open redirects', () => {
  it.each([
    'https://evil.test/',
    '//evil.test/',
    '/\\evil.test',
    'http:/evil.test',
    '/account/../../evil',
    '/account?next=https://evil.test',
    '/account#x',
  ])('start refuses redirect=%s', async (target) => {
    const res = await authFetch(`/v1/auth/oauth/google/start?redirect=${encodeURIComponent(target)}`, {
      redirect: 'manual',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_redirect');
  });

  it('an allowed path is where the flow returns, on the configured console origin', async () => {
    const started = await startLogin('github', '?redirect=%2Faccount');
    const path = await authorize('github', started, { id: uniqueSubject(), email: uniqueEmail() });
    const out = outcomeOf(await callback(path, started));
    expect(out.location.toString()).toBe('http://127.0.0.1:8787/account?signed_in=github');
  });

  it('redirect parameters added to the callback are ignored', async () => {
    const started = await startLogin('google');
    const path = await authorize('google', started, { id: uniqueSubject(), email: uniqueEmail() });
    const out = outcomeOf(
      await callback(
        `${path}&redirect=https%3A%2F%2Fevil.test%2F&redirect_uri=https%3A%2F%2Fevil.test%2F`,
        started,
      ),
    );
    expect(out.location.origin).toBe('http://127.0.0.1:8787');
    expect(out.location.pathname).toBe('/');
  });

  it('failures also land on the console, never elsewhere', async () => {
    const out = outcomeOf(
      await authFetch('/v1/auth/oauth/google/callback?state=x&code=y&redirect=https://evil.test', {
        redirect: 'manual',
      }),
    );
    expect(out.location.toString()).toBe('http://127.0.0.1:8787/?oauth_error=oauth_state_invalid');
  });
});
