import { z } from 'zod';
import { type AuthConfig, authConfigProblems, authConfigShape, toAuthConfig } from './domain/auth/config.ts';
import { type Keyring, parseKeyring } from './domain/crypto/keyring.ts';
import { type FileConfig, fileConfigShape, toFileConfig } from './domain/files/config.ts';
import {
  type OAuthConfig,
  oauthConfigProblems,
  oauthConfigShape,
  toOAuthConfig,
} from './domain/oauth/config.ts';
import { type RunConfig, runConfigProblems, runConfigShape, toRunConfig } from './domain/runs/config.ts';
import { type TaskConfig, taskConfigShape, toTaskConfig } from './domain/tasks/config.ts';
import { flagVar, listVar, settingVar } from './lib/config-vars.ts';
import { SETTINGS } from './limits.ts';

/**
 * Configuration parsed from Worker vars, once per `env` object (middleware/config.ts: Workers give no
 * start-up hook, and vars are fixed for a deployment). A bad value is never replaced by a silent default: it
 * fails every request with `server_misconfigured` and a log line naming the variable.
 */

/** An exact origin: scheme, host and optional port, nothing else ("null" is never an origin we allow). */
const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}, 'must be an exact origin such as https://app.example.com');

const originList = listVar(origin);

export const configSchema = z.object({
  ALLOWED_ORIGINS: originList,
  HTTPS_ONLY: flagVar(true),
  HTTP_LOOPBACK_ALLOWED: flagVar(true),
  BODY_LIMIT_BYTES: settingVar(SETTINGS.bodyLimitBytes),
  ...authConfigShape,
  ...oauthConfigShape,
  ...runConfigShape,
  ...taskConfigShape,
  ...fileConfigShape,
  // Secrets: validated in parseConfig (problems name the variable, never the value).
  PROVIDER_KEY_KEKS: z.string().optional(),
  PROVIDER_KEY_KEK_CURRENT: z.string().optional(),
});

export interface AppConfig {
  readonly allowedOrigins: ReadonlySet<string>;
  readonly httpsOnly: boolean;
  readonly httpLoopbackAllowed: boolean;
  readonly bodyLimitBytes: number;
  /** Accounts, sessions, password hashing, reset mail and rate limits (domain/auth/config.ts). */
  readonly auth: AuthConfig;
  /** Sign in with Google and GitHub: providers offered, their endpoints, redirects (domain/oauth/config.ts). */
  readonly oauth: OAuthConfig;
  /** Sandbox hosts, run limits and the per-organization concurrent-run cap (domain/runs/config.ts). */
  readonly runs: RunConfig;
  /** AI tasks: provider base URLs, offered models, limits (domain/tasks/config.ts). */
  readonly tasks: TaskConfig;
  /** Uploads, the organization's quota, archive inspection, a run's /work (domain/files/config.ts). */
  readonly files: FileConfig;
  /** Versioned AES-256-GCM key-encryption keys for provider keys (BYOK); material never serialized. */
  readonly providerKeyKeyring: Keyring;
}

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; problems: string[] };

export function parseConfig(vars: Record<string, unknown>): ConfigResult {
  const parsed = configSchema.safeParse(vars);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    };
  }
  const v = parsed.data;
  const authProblems = authConfigProblems(v);
  if (authProblems.length > 0) return { ok: false, problems: authProblems };
  const oauthProblems = oauthConfigProblems(v);
  if (oauthProblems.length > 0) return { ok: false, problems: oauthProblems };
  const runProblems = runConfigProblems(v);
  if (runProblems.length > 0) return { ok: false, problems: runProblems };
  const keyring = parseKeyring(v.PROVIDER_KEY_KEKS, v.PROVIDER_KEY_KEK_CURRENT);
  if (!keyring.ok) return { ok: false, problems: [keyring.problem] };
  return {
    ok: true,
    config: Object.freeze({
      allowedOrigins: new Set(v.ALLOWED_ORIGINS),
      httpsOnly: v.HTTPS_ONLY,
      httpLoopbackAllowed: v.HTTP_LOOPBACK_ALLOWED,
      bodyLimitBytes: v.BODY_LIMIT_BYTES,
      auth: toAuthConfig(v),
      oauth: toOAuthConfig(v),
      runs: toRunConfig(v),
      tasks: toTaskConfig(v),
      files: toFileConfig(v),
      providerKeyKeyring: keyring.keyring,
    }),
  };
}
