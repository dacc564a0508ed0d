import { HOST_PATHS, LIMITS } from '@airlock/protocol';
import { z } from 'zod';
import { intVar as int, rateRuleVar as rate } from '../../lib/config-vars.ts';
import { SETTINGS } from '../../limits.ts';
import type { RateRule } from '../auth/rate-limit.ts';

/**
 * Run configuration (issue 5), parsed with the rest of the Worker vars in config.ts. Every knob has a
 * safe default; a bad value fails every request with `server_misconfigured` instead of silently
 * meaning "unlimited".
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
  /** Runs not yet final, per organization, beyond which creation answers 429 `run_concurrency_limit`. */
  readonly maxConcurrentPerOrg: number;
  /** Runs in progress per user across all their organizations (issue 12: no quota multiplication). */
  readonly maxConcurrentPerUser: number;
  /** Body limit of POST /v1/runs: 256 KiB of source plus 1 MiB of stdin, JSON-escaped, fits a host frame. */
  readonly bodyLimitBytes: number;
  /** How long `wait: true` holds the request before answering 202 with the stream URL instead. */
  readonly waitMaxMs: number;
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

export const runConfigShape = {
  SANDBOX_HOSTS: hostList,
  RATE_LIMIT_RUNS: rate('30/1m'),
  RUN_MAX_CONCURRENT_PER_ORG: int(10, 1, 10_000),
  RUN_MAX_CONCURRENT_PER_USER: int(SETTINGS.runMaxConcurrentPerUser.default, 1, 10_000),
  RUN_BODY_LIMIT_BYTES: int(LIMITS.maxClientFrameBytes - 4096, 1024, LIMITS.maxClientFrameBytes - 4096),
  RUN_WAIT_MAX_MS: int(14_000, 1000, 14_500),
};

type Parsed = { [K in keyof typeof runConfigShape]: z.output<(typeof runConfigShape)[K]> };

export function toRunConfig(v: Parsed): RunConfig {
  return {
    hosts: Object.freeze(v.SANDBOX_HOSTS.map((h) => Object.freeze({ ...h }))),
    createRate: v.RATE_LIMIT_RUNS,
    maxConcurrentPerOrg: v.RUN_MAX_CONCURRENT_PER_ORG,
    maxConcurrentPerUser: v.RUN_MAX_CONCURRENT_PER_USER,
    bodyLimitBytes: v.RUN_BODY_LIMIT_BYTES,
    waitMaxMs: v.RUN_WAIT_MAX_MS,
  };
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
