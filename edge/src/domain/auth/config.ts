import { z } from 'zod';
import { fromBase64Url } from '../../lib/bytes.ts';
import { rateSettingVar as rate, settingVar as setting } from '../../lib/config-vars.ts';
import { DAY_MS, RATE_LIMITS, SETTINGS } from '../../limits.ts';
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
  ACCESS_TOKEN_TTL_SECONDS: setting(SETTINGS.accessTokenTtlSeconds),
  REFRESH_TOKEN_TTL_SECONDS: setting(SETTINGS.refreshTokenTtlSeconds),
  PASSWORD_RESET_TTL_SECONDS: setting(SETTINGS.passwordResetTtlSeconds),
  PASSWORD_RESET_URL: url.optional().default('http://127.0.0.1:8787/reset-password'),
  EMAIL_VERIFICATION_TTL_SECONDS: setting(SETTINGS.emailVerificationTtlSeconds),
  /** The console page a confirmation link opens (the token follows in the fragment). */
  EMAIL_VERIFICATION_URL: url.optional().default('http://127.0.0.1:8787/verify-email'),
  PASSWORD_HASH_MEMORY_KIB: setting(SETTINGS.passwordHashMemoryKib),
  PASSWORD_HASH_ITERATIONS: setting(SETTINGS.passwordHashIterations),
  PASSWORD_HASH_PARALLELISM: setting(SETTINGS.passwordHashParallelism),
  RATE_LIMIT_LOGIN: rate(RATE_LIMITS.login),
  RATE_LIMIT_REGISTER: rate(RATE_LIMITS.register),
  RATE_LIMIT_PASSWORD_RESET: rate(RATE_LIMITS.passwordReset),
  RATE_LIMIT_API: rate(RATE_LIMITS.api),
  RATE_LIMIT_REFRESH: rate(RATE_LIMITS.refresh),
  RATE_LIMIT_LOGOUT: rate(RATE_LIMITS.logout),
  RATE_LIMIT_AUTH_FAILURES: rate(RATE_LIMITS.authFailures),
  RATE_LIMIT_ACCOUNT: rate(RATE_LIMITS.account),
  RATE_LIMIT_IPV6_PREFIX: setting(SETTINGS.ipv6PrefixBits),
  RECENT_AUTH_SECONDS: setting(SETTINGS.recentAuthSeconds),
  MAX_ORGS_PER_USER: setting(SETTINGS.maxOrgsPerUser),
  INVITATION_TTL_SECONDS: setting(SETTINGS.invitationTtlSeconds),
  RUN_OUTPUT_RETENTION_DAYS: setting(SETTINGS.runOutputRetentionDays),
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
  readonly emailVerificationTtlMs: number;
  readonly emailVerificationUrl: string;
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
    emailVerificationTtlMs: v.EMAIL_VERIFICATION_TTL_SECONDS * 1000,
    emailVerificationUrl: v.EMAIL_VERIFICATION_URL,
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
    runOutputRetentionMs: v.RUN_OUTPUT_RETENTION_DAYS * DAY_MS,
    mail: Object.freeze({
      sender: v.MAIL_SENDER,
      apiUrl: v.MAIL_API_URL ?? null,
      apiKey: v.MAIL_API_KEY ?? null,
      from: v.MAIL_FROM,
    }),
  });
}
