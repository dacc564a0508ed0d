import { CodeChallengeMethod, OAuth2Client } from 'arctic';
import { createRemoteJWKSet } from 'jose';
import type {
  GithubSettings,
  GoogleSettings,
  OAuthConfig,
  OAuthProvider,
} from '../../domain/oauth/config.ts';
import { verifyGoogleIdToken } from '../../domain/oauth/google-id-token.ts';

/**
 * The two providers behind one shape: the authorization URL (code flow with PKCE S256, and an
 * OpenID Connect nonce for Google) and, at the callback, the code exchanged for the profile we
 * trust. arctic's generic `OAuth2Client` does the OAuth part, because its Google and GitHub classes
 * hard-code the public endpoints and ours are operator settings.
 *
 * Google: the profile is the verified ID token (domain/oauth/google-id-token.ts), never userinfo.
 * GitHub (REST API reference): `GET /user` for the stable numeric id, `GET /user/emails` for the
 * primary address, which counts only when GitHub marks it verified.
 */

export interface ProviderProfile {
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

export type ProfileResult = { ok: true; profile: ProviderProfile } | { ok: false; reason: string };

export interface FlowSecrets {
  state: string;
  codeVerifier: string;
  nonce: string | null;
  /** Re-verification: the provider must ask the user to sign in again. */
  reauth: boolean;
}

const GOOGLE_SCOPES = ['openid', 'email'];
const GITHUB_SCOPES = ['read:user', 'user:email'];
/** GitHub asks for the API version and a User-Agent on every REST call. */
const GITHUB_HEADERS = {
  Accept: 'application/vnd.github+json',
  'X-GitHub-Api-Version': '2022-11-28',
  'User-Agent': 'airlock',
};

export function callbackUrl(config: OAuthConfig, provider: OAuthProvider): string {
  return `${config.callbackBaseUrl}/v1/auth/oauth/${provider}/callback`;
}

function client(config: OAuthConfig, provider: OAuthProvider, settings: GoogleSettings | GithubSettings) {
  return new OAuth2Client(settings.clientId, settings.clientSecret, callbackUrl(config, provider));
}

export function authorizationUrl(
  config: OAuthConfig,
  provider: OAuthProvider,
  settings: GoogleSettings | GithubSettings,
  flow: FlowSecrets,
): URL {
  const scopes = provider === 'google' ? GOOGLE_SCOPES : GITHUB_SCOPES;
  const url = client(config, provider, settings).createAuthorizationURLWithPKCE(
    settings.authorizeUrl,
    flow.state,
    CodeChallengeMethod.S256,
    flow.codeVerifier,
    scopes,
  );
  if (flow.nonce) url.searchParams.set('nonce', flow.nonce);
  if (flow.reauth) {
    if (provider === 'google') {
      // OIDC Core §3.1.2.1: ask for a fresh sign-in; auth_time in the ID token proves it happened.
      url.searchParams.set('prompt', 'login');
      url.searchParams.set('max_age', '0');
    } else {
      // GitHub has no max_age: a fresh authorization in which the user picks the account again.
      url.searchParams.set('prompt', 'select_account');
    }
  }
  return url;
}

async function exchange(
  config: OAuthConfig,
  provider: OAuthProvider,
  settings: GoogleSettings | GithubSettings,
  code: string,
  codeVerifier: string,
) {
  try {
    const tokens = await client(config, provider, settings).validateAuthorizationCode(
      settings.tokenUrl,
      code,
      codeVerifier,
    );
    return { ok: true as const, tokens };
  } catch (err) {
    return { ok: false as const, reason: `token_exchange: ${err instanceof Error ? err.name : 'error'}` };
  }
}

export async function googleProfile(
  config: OAuthConfig,
  settings: GoogleSettings,
  input: { code: string; codeVerifier: string; nonce: string; now: number; authenticatedSince?: number },
): Promise<ProfileResult> {
  const exchanged = await exchange(config, 'google', settings, input.code, input.codeVerifier);
  if (!exchanged.ok) return exchanged;
  let idToken: string;
  try {
    idToken = exchanged.tokens.idToken();
  } catch {
    return { ok: false, reason: 'no_id_token' };
  }
  const verified = await verifyGoogleIdToken(idToken, {
    keys: createRemoteJWKSet(new URL(settings.jwksUrl)),
    issuers: settings.issuers,
    clientId: settings.clientId,
    nonce: input.nonce,
    now: input.now,
    ...(input.authenticatedSince !== undefined ? { authenticatedSince: input.authenticatedSince } : {}),
  });
  if (!verified.ok) return { ok: false, reason: `id_token_${verified.reason}` };
  const { subject, email, emailVerified } = verified.profile;
  return { ok: true, profile: { subject, email, emailVerified } };
}

interface GithubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

export async function githubProfile(
  config: OAuthConfig,
  settings: GithubSettings,
  input: { code: string; codeVerifier: string },
): Promise<ProfileResult> {
  const exchanged = await exchange(config, 'github', settings, input.code, input.codeVerifier);
  if (!exchanged.ok) return exchanged;
  let accessToken: string;
  try {
    // GitHub answers a bad code with 200 and an `error` field: no access_token, so this throws.
    accessToken = exchanged.tokens.accessToken();
  } catch {
    return { ok: false, reason: 'token_exchange: no access token' };
  }
  const headers = { ...GITHUB_HEADERS, Authorization: `Bearer ${accessToken}` };
  const [userRes, emailsRes] = await Promise.all([
    fetch(`${settings.apiUrl}/user`, { headers }),
    fetch(`${settings.apiUrl}/user/emails`, { headers }),
  ]);
  if (!userRes.ok || !emailsRes.ok) {
    await Promise.all([userRes.body?.cancel(), emailsRes.body?.cancel()]);
    return { ok: false, reason: `github_api_${userRes.status}_${emailsRes.status}` };
  }
  const user = (await userRes.json().catch(() => null)) as { id?: unknown } | null;
  const emails = (await emailsRes.json().catch(() => null)) as GithubEmail[] | null;
  // The numeric id is stable; the login can be renamed and then claimed by someone else.
  if (!user || typeof user.id !== 'number' || !Number.isSafeInteger(user.id))
    return { ok: false, reason: 'github_user_shape' };
  if (!Array.isArray(emails)) return { ok: false, reason: 'github_emails_shape' };
  const primary = emails.find(
    (e) => e.primary === true && e.verified === true && typeof e.email === 'string',
  );
  const email = typeof primary?.email === 'string' ? primary.email.trim().toLowerCase() : null;
  return { ok: true, profile: { subject: String(user.id), email, emailVerified: email !== null } };
}
