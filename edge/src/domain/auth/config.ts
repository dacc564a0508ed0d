import { z } from 'zod';
import { fromBase64Url } from '../../lib/bytes.ts';
import { rateSettingVar as rate, settingVar as setting } from '../../lib/config-vars.ts';
import { RATE_LIMITS, SETTINGS } from '../../limits.ts';
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

export const authConfigShape = {
  JWT_SIGNING_KEY: signingKey,
  JWT_ISSUER: z.string().min(1).optional().default('airlock'),
  JWT_AUDIENCE: z.string().min(1).optional().default('airlock-api'),
  ACCESS_TOKEN_TTL_SECONDS: setting(SETTINGS.accessTokenTtlSeconds),
  REFRESH_TOKEN_TTL_SECONDS: setting(SETTINGS.refreshTokenTtlSeconds),
  PASSWORD_RESET_TTL_SECONDS: setting(SETTINGS.passwordResetTtlSeconds),
  PASSWORD_RESET_URL: url.optional().default('http://127.0.0.1:8787/reset-password'),
  PASSWORD_HASH_MEMORY_KIB: setting(SETTINGS.passwordHashMemoryKib),
  PASSWORD_HASH_ITERATIONS: setting(SETTINGS.passwordHashIterations),
  PASSWORD_HASH_PARALLELISM: setting(SETTINGS.passwordHashParallelism),
  RATE_LIMIT_LOGIN: rate(RATE_LIMITS.login),
  RATE_LIMIT_REGISTER: rate(RATE_LIMITS.register),
  RATE_LIMIT_PASSWORD_RESET: rate(RATE_LIMITS.passwordReset),
  RATE_LIMIT_API: rate(RATE_LIMITS.api),
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
  readonly signingKey: Uint8Array;
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
  };
  readonly mail: MailConfig;
}

/** Cross-field checks; each problem names the variable, never its value. */
export function authConfigProblems(v: ParsedAuthVars): string[] {
  const problems: string[] = [];
  if (v.MAIL_SENDER === 'http' && (!v.MAIL_API_URL || !v.MAIL_API_KEY))
    problems.push('MAIL_API_URL, MAIL_API_KEY: required when MAIL_SENDER is http');
  if (v.PASSWORD_HASH_MEMORY_KIB < 8 * v.PASSWORD_HASH_PARALLELISM)
    problems.push('PASSWORD_HASH_MEMORY_KIB: must be at least 8 × PASSWORD_HASH_PARALLELISM');
  return problems;
}

export function toAuthConfig(v: ParsedAuthVars): AuthConfig {
  return Object.freeze({
    signingKey: v.JWT_SIGNING_KEY as Uint8Array,
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
    }),
    mail: Object.freeze({
      sender: v.MAIL_SENDER,
      apiUrl: v.MAIL_API_URL ?? null,
      apiKey: v.MAIL_API_KEY ?? null,
      from: v.MAIL_FROM,
    }),
  });
}
