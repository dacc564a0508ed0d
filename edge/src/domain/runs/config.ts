import { HOST_PATHS } from '@airlock/protocol';
import type { JWK } from 'jose';
import { z } from 'zod';
import { fromBase64Url } from '../../lib/bytes.ts';
import { rateSettingVar as rate, settingVar as setting } from '../../lib/config-vars.ts';
import { KIB, RATE_LIMITS, SETTINGS } from '../../limits.ts';
import type { RateRule } from '../auth/rate-limit.ts';
import type { TransferRule } from './transfer.ts';

/**
 * Run configuration (issue 5), parsed with the rest of the Worker vars in config.ts. Every knob has a
 * safe default (limits.ts); a bad value fails every request with `server_misconfigured` instead of
 * silently meaning "unlimited".
 */

export interface SandboxHostRef {
  /** The host's HOST_ID: the run token's audience. */
  readonly id: string;
  /** Base URL of the host (ws:, wss:, http: or https:); the run socket is `<url>/run`. */
  readonly url: string;
}

export interface RunConfig {
  readonly hosts: readonly SandboxHostRef[];
  /** Run creations per user (default 30 per minute). */
  readonly createRate: RateRule;
  /** Output characters per organization and window (RATE_LIMIT_OUTPUT_KIB × 1024; output-budget.ts). */
  readonly outputRate: RateRule;
  /** Runs not yet final, per organization, beyond which creation answers 429 `run_concurrency_limit`. */
  readonly maxConcurrentPerOrg: number;
  /** Runs in progress per user across all their organizations (issue 12: no quota multiplication). */
  readonly maxConcurrentPerUser: number;
  /** Body limit of POST /v1/runs: 256 KiB of source plus 1 MiB of stdin, JSON-escaped, fits a host frame. */
  readonly bodyLimitBytes: number;
  /** How long `wait: true` holds the request before answering 202 with the stream URL instead. */
  readonly waitMaxMs: number;
  /** How long a run waits for a place when every host is at capacity before 503 `sandbox_busy`. */
  readonly busyWaitMs: number;
  /** How long a host may take to receive a run's mounted files (domain/runs/transfer.ts). */
  readonly fileTransfer: TransferRule;
}

const HOST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Plaintext (ws:, http:) host links are for loopback only: elsewhere the run token would cross a network in clear. */
function plaintextOffLoopback(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'http:') return false;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host));
}

const hostList = z
  .string()
  .optional()
  .transform((text, ctx): unknown => {
    if (text === undefined || text.trim() === '') return [];
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: [{"id":"local","url":"ws://127.0.0.1:8790"}]' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(
        z.strictObject({
          id: z.string().regex(HOST_ID, 'host id: 1-64 of [A-Za-z0-9._-]'),
          url: z
            .url({ protocol: /^(wss?|https?)$/ })
            .refine(
              (url) => !plaintextOffLoopback(url),
              'outside loopback a sandbox host URL must use wss:// or https:// (ws:// and http:// only for 127.0.0.1, ::1 or localhost)',
            ),
        }),
      )
      .max(64)
      .refine((hosts) => new Set(hosts.map((h) => h.id)).size === hosts.length, 'host ids must be unique'),
  );

/**
 * SANDBOX_SIGNING_JWK, the Ed25519 private JWK run tokens are signed with (a secret). Checked here,
 * with the rest of the config, so a bad key fails every request loudly instead of surfacing inside a
 * dispatch as an "unreachable" host. Messages never quote the value (a JSON error would).
 */
const ED25519_KEY_BYTES = 32;
const SIGNING_JWK_SHAPE =
  'must be an Ed25519 private JWK as JSON, {"kty":"OKP","crv":"Ed25519","d":…,"x":…} (node scripts/dev-secrets.ts shows one)';

/** The signing JWK from the variable's text, or undefined when it is absent or malformed. */
export function parseSigningJwk(text: string | undefined): JWK | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  const { kty, crv, d, x } = jwk as Record<string, unknown>;
  const key32 = (v: unknown) => typeof v === 'string' && fromBase64Url(v)?.length === ED25519_KEY_BYTES;
  return kty === 'OKP' && crv === 'Ed25519' && key32(d) && key32(x) ? (jwk as JWK) : undefined;
}

const signingJwk = z
  .string()
  .optional()
  .refine((text) => text === undefined || parseSigningJwk(text) !== undefined, SIGNING_JWK_SHAPE);

export const runConfigShape = {
  SANDBOX_SIGNING_JWK: signingJwk,
  SANDBOX_HOSTS: hostList,
  RATE_LIMIT_RUNS: rate(RATE_LIMITS.runs),
  RATE_LIMIT_OUTPUT_KIB: rate(RATE_LIMITS.output),
  RUN_MAX_CONCURRENT_PER_ORG: setting(SETTINGS.runMaxConcurrentPerOrg),
  RUN_MAX_CONCURRENT_PER_USER: setting(SETTINGS.runMaxConcurrentPerUser),
  RUN_BODY_LIMIT_BYTES: setting(SETTINGS.runBodyLimitBytes),
  RUN_WAIT_MAX_MS: setting(SETTINGS.runWaitMaxMs),
  RUN_BUSY_WAIT_MS: setting(SETTINGS.runBusyWaitMs),
  RUN_FILE_TRANSFER_MIN_BYTES_PER_SECOND: setting(SETTINGS.runFileTransferMinBytesPerSecond),
  RUN_FILE_TRANSFER_FLOOR_MS: setting(SETTINGS.runFileTransferFloorMs),
};

type Parsed = z.output<z.ZodObject<typeof runConfigShape>>;

export function toRunConfig(v: Parsed): RunConfig {
  return {
    hosts: Object.freeze(v.SANDBOX_HOSTS.map((h) => Object.freeze({ ...h }))),
    createRate: v.RATE_LIMIT_RUNS,
    outputRate: { limit: v.RATE_LIMIT_OUTPUT_KIB.limit * KIB, windowMs: v.RATE_LIMIT_OUTPUT_KIB.windowMs },
    maxConcurrentPerOrg: v.RUN_MAX_CONCURRENT_PER_ORG,
    maxConcurrentPerUser: v.RUN_MAX_CONCURRENT_PER_USER,
    bodyLimitBytes: v.RUN_BODY_LIMIT_BYTES,
    waitMaxMs: v.RUN_WAIT_MAX_MS,
    busyWaitMs: v.RUN_BUSY_WAIT_MS,
    fileTransfer: Object.freeze({
      floorMs: v.RUN_FILE_TRANSFER_FLOOR_MS,
      minBytesPerSecond: v.RUN_FILE_TRANSFER_MIN_BYTES_PER_SECOND,
    }),
  };
}

/** Cross-field checks; each problem names the variable, never its value. */
export function runConfigProblems(v: Parsed): string[] {
  if (v.SANDBOX_HOSTS.length > 0 && v.SANDBOX_SIGNING_JWK === undefined) {
    return [
      'SANDBOX_SIGNING_JWK: missing: required when SANDBOX_HOSTS lists a host (run tokens are signed with it)',
    ];
  }
  return [];
}

/** The run socket of a host: `<url>/run` over http(s), which is how a Worker's fetch() upgrades. */
export function hostRunUrl(host: SandboxHostRef): string {
  return `${httpBase(host.url)}${HOST_PATHS.run}`;
}

export function hostHttpUrl(host: SandboxHostRef, path: string): string {
  return `${httpBase(host.url)}${path}`;
}

function httpBase(url: string): string {
  return url.replace(/^ws(s?):/, 'http$1:').replace(/\/+$/, '');
}
