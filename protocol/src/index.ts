/**
 * The one wire protocol between the edge and a sandbox host (and, for the frame shapes, between the
 * edge and its clients). Imported by the edge on Cloudflare Workers, so this file uses only zod and Web
 * APIs (WebCrypto, TextEncoder): no node: imports, here or in anything it imports.
 *
 * One WebSocket carries one run: the token minted by the edge names the run id and the SHA-256 of the
 * run request (see `runRequestDigest`), the client sends `run` (and maybe `cancel`), the host answers
 * `accepted`, `started`, `stdout`/`stderr` chunks, then `exit` with the result, or `error`, and closes.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------------

export const LIMITS = {
  /** Total source size: `code`, or the sum of all `files` contents (UTF-8 bytes). */
  maxCodeBytes: 256 * 1024,
  maxFiles: 32,
  maxFileNameLength: 64,
  maxStdinBytes: 1024 * 1024,
  maxArgs: 32,
  maxArgBytes: 4096,
  /** Per stream; beyond it the run is killed with status `output_limited`. */
  maxOutputBytes: 1024 * 1024,
  /** Output frames carry at most this many bytes of output. */
  outputChunkBytes: 16 * 1024,
  defaultTimeoutMs: 5000,
  maxTimeoutMs: 15_000,
  minTimeoutMs: 100,
  defaultMemoryMb: 256,
  minMemoryMb: 32,
  /** Absolute ceiling of the wire format; a host may allow less (see its `/runtimes`). */
  maxMemoryMb: 2048,
  /** Largest client → host frame (a run request with maximal code and stdin, JSON-escaped). */
  maxClientFrameBytes: 4 * 1024 * 1024,
  /** Largest host → client frame (an `exit` frame with both streams at their limit, JSON-escaped). */
  maxHostFrameBytes: 16 * 1024 * 1024,
  /** A connection with no run in flight and no message for this long is closed. */
  idleTimeoutMs: 60_000,
} as const;

/** Application close codes (RFC 6455 reserves 4000–4999 for applications). */
export const CLOSE_CODES = {
  normal: 1000,
  badRequest: 4000,
  unauthorized: 4001,
  hashMismatch: 4002,
  capacity: 4003,
  idleTimeout: 4004,
  frameTooLarge: 4005,
  shuttingDown: 4006,
  internal: 4500,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

// ---------------------------------------------------------------------------------------------------
// Token contract (the edge mints, the host verifies before the WebSocket upgrade completes)
// ---------------------------------------------------------------------------------------------------

export const RUN_TOKEN = {
  alg: 'EdDSA',
  typ: 'airlock-run+jwt',
  issuer: 'airlock-edge',
  /** `exp - iat` may not exceed this; the host rejects longer-lived tokens. */
  maxLifetimeSeconds: 60,
  /** Tolerated clock skew when checking `iat`/`exp`. */
  clockToleranceSeconds: 5,
} as const;

// ---------------------------------------------------------------------------------------------------
// Run request and result
// ---------------------------------------------------------------------------------------------------

const encoder = new TextEncoder();
const byteLength = (s: string): number => encoder.encode(s).byteLength;

export const RunIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'run id: 1-64 of [A-Za-z0-9_-]');
/** An organization id as the edge writes it (a UUID today); the host only groups runs by it. */
export const OrgIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'org id: 1-64 of [A-Za-z0-9_-]');

/**
 * Claims of a run token, as the edge mints them and the host accepts them: `aud` is the host id,
 * `run` the run id, `req` is `runRequestDigest(request)`, `org` the organization the run belongs to (the
 * host queues runs fairly across organizations). Other claims a token may carry are ignored.
 */
export const RunTokenClaimsSchema = z.object({
  iss: z.literal(RUN_TOKEN.issuer),
  aud: z.string().min(1),
  iat: z.number(),
  exp: z.number(),
  jti: z.string().min(1).max(256),
  run: RunIdSchema,
  req: z.string(),
  org: OrgIdSchema,
});
export type RunTokenClaims = z.infer<typeof RunTokenClaimsSchema>;

export const LanguageSchema = z.string().regex(/^[a-z0-9][a-z0-9+#-]{0,31}$/, 'language: lower-case id');

/** A flat file name: no directories, no leading dot, no `..`; the host never follows paths anyway. */
export const FileNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, 'file name: 1-64 of [A-Za-z0-9_.-], not starting with a dot');

export const SourceFileSchema = z.strictObject({ name: FileNameSchema, content: z.string() });
export type SourceFile = z.infer<typeof SourceFileSchema>;

export const RunLimitsSchema = z.strictObject({
  timeoutMs: z.number().int().min(LIMITS.minTimeoutMs).max(LIMITS.maxTimeoutMs).optional(),
  memoryMb: z.number().int().min(LIMITS.minMemoryMb).max(LIMITS.maxMemoryMb).optional(),
});
export type RunLimits = z.infer<typeof RunLimitsSchema>;

export const RunRequestSchema = z
  .strictObject({
    language: LanguageSchema,
    code: z.string().optional(),
    files: z.array(SourceFileSchema).min(1).max(LIMITS.maxFiles).optional(),
    stdin: z
      .string()
      .refine((s) => byteLength(s) <= LIMITS.maxStdinBytes, `stdin: at most ${LIMITS.maxStdinBytes} bytes`)
      .optional(),
    args: z
      .array(
        z
          .string()
          .refine((s) => !s.includes('\0'), 'args: no NUL bytes')
          .refine(
            (s) => byteLength(s) <= LIMITS.maxArgBytes,
            `args: at most ${LIMITS.maxArgBytes} bytes each`,
          ),
      )
      .max(LIMITS.maxArgs)
      .optional(),
    limits: RunLimitsSchema.optional(),
  })
  .superRefine((req, ctx) => {
    if ((req.code === undefined) === (req.files === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of code or files is required' });
      return;
    }
    const size =
      req.code !== undefined
        ? byteLength(req.code)
        : (req.files ?? []).reduce((n, f) => n + byteLength(f.content), 0);
    if (size > LIMITS.maxCodeBytes) {
      ctx.addIssue({ code: 'custom', message: `source: at most ${LIMITS.maxCodeBytes} bytes in total` });
    }
    const names = (req.files ?? []).map((f) => f.name);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', message: 'files: names must be unique' });
    }
  });
export type RunRequest = z.infer<typeof RunRequestSchema>;

/** Final statuses a host reports; the edge adds `sandbox_unavailable` and `host_lost`. */
export const HOST_RUN_STATUSES = [
  'succeeded',
  'failed',
  'timed_out',
  'oom_killed',
  'output_limited',
  'cancelled',
  'compile_failed',
] as const;
export const RUN_STATUSES = [...HOST_RUN_STATUSES, 'sandbox_unavailable', 'host_lost'] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunResultSchema = z.object({
  status: RunStatusSchema,
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  wallMs: z.number().nonnegative(),
  cpuMs: z.number().nonnegative().nullable(),
  peakMemoryBytes: z.number().int().nonnegative().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type RunResult = z.infer<typeof RunResultSchema>;

// ---------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('run'), runId: RunIdSchema, request: z.unknown() }),
  z.strictObject({ type: z.literal('cancel'), runId: RunIdSchema }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type RunMessage = Extract<ClientMessage, { type: 'run' }>;
export type CancelMessage = Extract<ClientMessage, { type: 'cancel' }>;

export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'hash_mismatch',
  'capacity',
  'frame_too_large',
  'unsupported_language',
  'shutting_down',
  'internal',
] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** The close code that goes with each error code. */
export const ERROR_CLOSE_CODES: Record<ErrorCode, CloseCode> = {
  bad_request: CLOSE_CODES.badRequest,
  unauthorized: CLOSE_CODES.unauthorized,
  hash_mismatch: CLOSE_CODES.hashMismatch,
  capacity: CLOSE_CODES.capacity,
  frame_too_large: CLOSE_CODES.frameTooLarge,
  unsupported_language: CLOSE_CODES.badRequest,
  shutting_down: CLOSE_CODES.shuttingDown,
  internal: CLOSE_CODES.internal,
};

const frame = { runId: z.string().nullable(), seq: z.number().int().nonnegative() };

export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('accepted'), ...frame, queued: z.boolean() }),
  z.object({ type: z.literal('started'), ...frame, startedAt: z.string() }),
  z.object({ type: z.literal('stdout'), ...frame, data: z.string() }),
  z.object({ type: z.literal('stderr'), ...frame, data: z.string() }),
  z.object({ type: z.literal('exit'), ...frame, result: RunResultSchema }),
  z.object({ type: z.literal('error'), ...frame, code: ErrorCodeSchema, message: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;
export type HostMessageType = HostMessage['type'];

export function isClientMessage(value: unknown): value is ClientMessage {
  return ClientMessageSchema.safeParse(value).success;
}

export function isHostMessage(value: unknown): value is HostMessage {
  return HostMessageSchema.safeParse(value).success;
}

export function isFinalHostMessage(message: HostMessage): boolean {
  return message.type === 'exit' || message.type === 'error';
}

// ---------------------------------------------------------------------------------------------------
// Request digest
// ---------------------------------------------------------------------------------------------------

/** JSON with object keys sorted (recursively), no whitespace; `undefined` members are dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('canonicalJson: value is not representable in JSON');
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** base64url (no padding) SHA-256 of the canonical JSON of a run request: the token's `req` claim. */
export async function runRequestDigest(request: unknown): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(canonicalJson(request)));
  return base64url(new Uint8Array(digest));
}
