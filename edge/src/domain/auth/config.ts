import { z } from 'zod';
import { fromBase64Url } from '../../lib/bytes.ts';
import { intVar as int, rateRuleVar as rateRule } from '../../lib/config-vars.ts';
import type { SigningKeySet } from './access-token.ts';
import type { HashParams } from './password.ts';
import type { RateRule } from './rate-limit.ts';

/**
 * Authentication settings, parsed with the rest of the Worker's vars (config.ts). Every number is
 * configuration with the DESIGN.md default; the signing key is a secret and has no default: a
 * missing or short key fails every request (`server_misconfigured`) rather than signing with
 * something guessable.
 */

const MIN_SIGNING_KEY_BYTES = 32;

const signingKey = z
  .string({ error: 'missing: set the JWT_SIGNING_KEY secret (base64url, at least 32 random bytes)' })
  .transform((v) => fromBase64Url(v.trim()))
  .refine((bytes): bytes is Uint8Array => bytes !== null, 'must be base64url')
  .refine(
    (bytes) => (bytes?.length ?? 0) >= MIN_SIGNING_KEY_BYTES,
    `too weak: must decode to at least ${MIN_SIGNING_KEY_BYTES} bytes`,
  );

const url = z.url({ protocol: /^https?$/ });
const keyId = z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'must be 1-32 characters of A-Z a-z 0-9 . _ -');

export const authConfigShape = {
  JWT_SIGNING_KEY: signingKey,
  JWT_SIGNING_KEY_ID: keyId.optional().default('k1'),
  /** The key before the last rotation: still verifies (tokens it signed live out their 15 minutes). */
  JWT_PREVIOUS_SIGNING_KEY: signingKey.optional(),
  JWT_PREVIOUS_SIGNING_KEY_ID: keyId.optional(),
  JWT_ISSUER: z.string().min(1).optional().default('airlock'),
  JWT_AUDIENCE: z.string().min(1).optional().default('airlock-api'),
  ACCESS_TOKEN_TTL_SECONDS: int(900, 60, 3600),
  REFRESH_TOKEN_TTL_SECONDS: int(30 * 24 * 3600, 3600, 90 * 24 * 3600),
  PASSWORD_RESET_TTL_SECONDS: int(30 * 60, 60, 24 * 3600),
  PASSWORD_RESET_URL: url.optional().default('http://127.0.0.1:8787/reset-password'),
  PASSWORD_HASH_MEMORY_KIB: int(19456, 8, 262144),
  PASSWORD_HASH_ITERATIONS: int(2, 1, 16),
  PASSWORD_HASH_PARALLELISM: int(1, 1, 4),
  RATE_LIMIT_LOGIN: rateRule('5/1m'),
  RATE_LIMIT_REGISTER: rateRule('3/1m'),
  RATE_LIMIT_PASSWORD_RESET: rateRule('3/1h'),
  RATE_LIMIT_API: rateRule('120/1m'),
  RATE_LIMIT_REFRESH: rateRule('30/1m'),
  RATE_LIMIT_LOGOUT: rateRule('30/1m'),
  /** Failed authentications (bad bearer tokens, API keys) per IP; over it, 429 before any D1 read. */
  RATE_LIMIT_AUTH_FAILURES: rateRule('20/1m'),
  /** Failed logins and reset requests per account, across all IPs (keyed by the email's hash). */
  RATE_LIMIT_ACCOUNT: rateRule('10/15m'),
  /** IPv6 clients are keyed by this prefix (one /64 is one subscriber); IPv4 by the full address. */
  RATE_LIMIT_IPV6_PREFIX: int(64, 32, 128),
  /** Sudo mode: a sign-in within this many seconds counts as recent (API keys, members, deletion). */
  RECENT_AUTH_SECONDS: int(300, 30, 3600),
  /** Non-personal organizations one user may create (owner of). */
  MAX_ORGS_PER_USER: int(10, 1, 1000),
  INVITATION_TTL_SECONDS: int(7 * 24 * 3600, 3600, 30 * 24 * 3600),
  /** Housekeeping (cron): stored run output is erased this many days after the run finished. */
  RUN_OUTPUT_RETENTION_DAYS: int(30, 1, 3650),
  MAIL_SENDER: z.enum(['none', 'http']).optional().default('none'),
  MAIL_API_URL: url.optional(),
  MAIL_API_KEY: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3).optional().default('Airlock <no-reply@airlock.invalid>'),
};

const authConfigSchema = z.object(authConfigShape);
type ParsedAuthVars = z.output<typeof authConfigSchema>;

export interface MailConfig {
  readonly sender: 'none' | 'http';
  readonly apiUrl: string | null;
  readonly apiKey: string | null;
  readonly from: string;
}

export interface AuthConfig {
  readonly signingKeys: SigningKeySet;
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlMs: number;
  readonly passwordResetTtlMs: number;
  readonly passwordResetUrl: string;
  readonly hashParams: HashParams;
  readonly rateLimits: {
    readonly login: RateRule;
    readonly register: RateRule;
    readonly passwordReset: RateRule;
    readonly api: RateRule;
    readonly refresh: RateRule;
    readonly logout: RateRule;
    readonly authFailures: RateRule;
    readonly account: RateRule;
  };
  readonly ipv6PrefixBits: number;
  readonly recentAuthMs: number;
  readonly maxOrgsPerUser: number;
  readonly invitationTtlMs: number;
  readonly runOutputRetentionMs: number;
  readonly mail: MailConfig;
}

/** Cross-field checks; each problem names the variable, never its value. */
export function authConfigProblems(v: ParsedAuthVars): string[] {
  const problems: string[] = [];
  if (v.MAIL_SENDER === 'http' && (!v.MAIL_API_URL || !v.MAIL_API_KEY))
    problems.push('MAIL_API_URL, MAIL_API_KEY: required when MAIL_SENDER is http');
  if (v.JWT_PREVIOUS_SIGNING_KEY && !v.JWT_PREVIOUS_SIGNING_KEY_ID)
    problems.push('JWT_PREVIOUS_SIGNING_KEY_ID: required when JWT_PREVIOUS_SIGNING_KEY is set');
  if (v.JWT_PREVIOUS_SIGNING_KEY_ID && v.JWT_PREVIOUS_SIGNING_KEY_ID === v.JWT_SIGNING_KEY_ID)
    problems.push('JWT_PREVIOUS_SIGNING_KEY_ID: must differ from JWT_SIGNING_KEY_ID');
  if (v.PASSWORD_HASH_MEMORY_KIB < 8 * v.PASSWORD_HASH_PARALLELISM)
    problems.push('PASSWORD_HASH_MEMORY_KIB: must be at least 8 × PASSWORD_HASH_PARALLELISM');
  return problems;
}

function signingKeySet(v: ParsedAuthVars): SigningKeySet {
  const current = Object.freeze({ kid: v.JWT_SIGNING_KEY_ID, key: v.JWT_SIGNING_KEY as Uint8Array });
  const previous =
    v.JWT_PREVIOUS_SIGNING_KEY && v.JWT_PREVIOUS_SIGNING_KEY_ID
      ? [Object.freeze({ kid: v.JWT_PREVIOUS_SIGNING_KEY_ID, key: v.JWT_PREVIOUS_SIGNING_KEY as Uint8Array })]
      : [];
  return Object.freeze({ current, verifying: Object.freeze([current, ...previous]) });
}

export function toAuthConfig(v: ParsedAuthVars): AuthConfig {
  return Object.freeze({
    signingKeys: signingKeySet(v),
    issuer: v.JWT_ISSUER,
    audience: v.JWT_AUDIENCE,
    accessTokenTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlMs: v.REFRESH_TOKEN_TTL_SECONDS * 1000,
    passwordResetTtlMs: v.PASSWORD_RESET_TTL_SECONDS * 1000,
    passwordResetUrl: v.PASSWORD_RESET_URL,
    hashParams: Object.freeze({
      memoryKib: v.PASSWORD_HASH_MEMORY_KIB,
      iterations: v.PASSWORD_HASH_ITERATIONS,
      parallelism: v.PASSWORD_HASH_PARALLELISM,
    }),
    rateLimits: Object.freeze({
      login: v.RATE_LIMIT_LOGIN,
      register: v.RATE_LIMIT_REGISTER,
      passwordReset: v.RATE_LIMIT_PASSWORD_RESET,
      api: v.RATE_LIMIT_API,
      refresh: v.RATE_LIMIT_REFRESH,
      logout: v.RATE_LIMIT_LOGOUT,
      authFailures: v.RATE_LIMIT_AUTH_FAILURES,
      account: v.RATE_LIMIT_ACCOUNT,
    }),
    ipv6PrefixBits: v.RATE_LIMIT_IPV6_PREFIX,
    recentAuthMs: v.RECENT_AUTH_SECONDS * 1000,
    maxOrgsPerUser: v.MAX_ORGS_PER_USER,
    invitationTtlMs: v.INVITATION_TTL_SECONDS * 1000,
    runOutputRetentionMs: v.RUN_OUTPUT_RETENTION_DAYS * 86_400_000,
    mail: Object.freeze({
      sender: v.MAIL_SENDER,
      apiUrl: v.MAIL_API_URL ?? null,
      apiKey: v.MAIL_API_KEY ?? null,
      from: v.MAIL_FROM,
    }),
  });
}
