import { z } from 'zod';
import { flagVar, listVar, rateSettingVar, settingVar } from '../../lib/config-vars.ts';
import { RATE_LIMITS, SETTINGS } from '../../limits.ts';
import type { RateRule } from '../auth/rate-limit.ts';

/**
 * Sign in with Google and GitHub (issue 14, docs/auth.md). Client ids and secrets are Worker
 * secrets; a provider is offered only when both are set. Every endpoint is an operator setting
 * whose default is the provider's real one, so development and tests can point at local servers.
 * The console URL and the allowlist of paths a flow may return to are settings too: a callback
 * only ever redirects to `CONSOLE_URL` + one of `OAUTH_REDIRECT_PATHS` (no open redirect).
 */

export const OAUTH_PROVIDERS = ['google', 'github'] as const;
export type OAuthProvider = (typeof OAUTH_PROVIDERS)[number];

const url = z.url({ protocol: /^https?$/ });
/** A base URL without a trailing slash, so paths join predictably. */
const baseUrl = url.transform((v) => v.replace(/\/+$/, ''));
const secret = z.string().trim().min(1).optional();
/** A console path: absolute, no scheme, host, backslash, query or fragment. */
const consolePath = z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'must be a path such as /account');

export const oauthConfigShape = {
  GOOGLE_CLIENT_ID: secret,
  GOOGLE_CLIENT_SECRET: secret,
  GOOGLE_AUTHORIZE_URL: url.optional().default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: url.optional().default('https://oauth2.googleapis.com/token'),
  GOOGLE_JWKS_URL: url.optional().default('https://www.googleapis.com/oauth2/v3/certs'),
  /** Google signs with either spelling of its issuer (its OpenID Connect documentation). */
  GOOGLE_ISSUERS: listVar(z.string().min(1)).transform((v) =>
    v.length > 0 ? v : ['https://accounts.google.com', 'accounts.google.com'],
  ),
  GITHUB_CLIENT_ID: secret,
  GITHUB_CLIENT_SECRET: secret,
  GITHUB_AUTHORIZE_URL: url.optional().default('https://github.com/login/oauth/authorize'),
  GITHUB_TOKEN_URL: url.optional().default('https://github.com/login/oauth/access_token'),
  GITHUB_API_URL: baseUrl.optional().default('https://api.github.com'),
  /** This Worker's public origin: callbacks are `<it>/v1/auth/oauth/<provider>/callback`. */
  OAUTH_CALLBACK_BASE_URL: baseUrl.optional().default('http://127.0.0.1:8787'),
  /** Where a finished (or failed) flow sends the browser. */
  CONSOLE_URL: baseUrl.optional().default('http://127.0.0.1:8787'),
  OAUTH_REDIRECT_PATHS: listVar(consolePath).transform((v) => (v.length > 0 ? v : ['/', '/account'])),
  OAUTH_FLOW_TTL_SECONDS: settingVar(SETTINGS.oauthFlowTtlSeconds),
  RATE_LIMIT_OAUTH: rateSettingVar(RATE_LIMITS.oauth),
  /** Off by default: social-only accounts cannot set a password (seed: "unless explicitly configured"). */
  ALLOW_SOCIAL_PASSWORD: flagVar(false),
};

const schema = z.object(oauthConfigShape);
type ParsedOAuthVars = z.output<typeof schema>;

export interface GoogleSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly jwksUrl: string;
  readonly issuers: readonly string[];
}

export interface GithubSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly apiUrl: string;
}

export interface OAuthConfig {
  /** Null: not offered (no credentials). */
  readonly google: GoogleSettings | null;
  readonly github: GithubSettings | null;
  readonly callbackBaseUrl: string;
  readonly consoleUrl: string;
  readonly redirectPaths: readonly string[];
  readonly flowTtlMs: number;
  readonly rateLimit: RateRule;
  readonly allowSocialPassword: boolean;
}

export function oauthConfigProblems(v: ParsedOAuthVars): string[] {
  const problems: string[] = [];
  for (const p of ['GOOGLE', 'GITHUB'] as const) {
    const id = v[`${p}_CLIENT_ID`];
    const sec = v[`${p}_CLIENT_SECRET`];
    if ((id === undefined) !== (sec === undefined))
      problems.push(`${p}_CLIENT_ID, ${p}_CLIENT_SECRET: set both or neither`);
  }
  return problems;
}

export function toOAuthConfig(v: ParsedOAuthVars): OAuthConfig {
  const google =
    v.GOOGLE_CLIENT_ID && v.GOOGLE_CLIENT_SECRET
      ? Object.freeze({
          clientId: v.GOOGLE_CLIENT_ID,
          clientSecret: v.GOOGLE_CLIENT_SECRET,
          authorizeUrl: v.GOOGLE_AUTHORIZE_URL,
          tokenUrl: v.GOOGLE_TOKEN_URL,
          jwksUrl: v.GOOGLE_JWKS_URL,
          issuers: Object.freeze([...v.GOOGLE_ISSUERS]),
        })
      : null;
  const github =
    v.GITHUB_CLIENT_ID && v.GITHUB_CLIENT_SECRET
      ? Object.freeze({
          clientId: v.GITHUB_CLIENT_ID,
          clientSecret: v.GITHUB_CLIENT_SECRET,
          authorizeUrl: v.GITHUB_AUTHORIZE_URL,
          tokenUrl: v.GITHUB_TOKEN_URL,
          apiUrl: v.GITHUB_API_URL,
        })
      : null;
  return Object.freeze({
    google,
    github,
    callbackBaseUrl: v.OAUTH_CALLBACK_BASE_URL,
    consoleUrl: v.CONSOLE_URL,
    redirectPaths: Object.freeze([...v.OAUTH_REDIRECT_PATHS]),
    flowTtlMs: v.OAUTH_FLOW_TTL_SECONDS * 1000,
    rateLimit: v.RATE_LIMIT_OAUTH,
    allowSocialPassword: v.ALLOW_SOCIAL_PASSWORD,
  });
}

/** The providers this deployment offers, in a stable order. */
export function enabledProviders(config: OAuthConfig): OAuthProvider[] {
  return OAUTH_PROVIDERS.filter((p) => config[p] !== null);
}
