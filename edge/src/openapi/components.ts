import { LIMITS, RUN_VIEW_STATUSES, RunResultSchema } from '@airlock/protocol';
import { API_KEY_SCOPES } from '../domain/api-keys/token.ts';
import { PROVIDERS } from '../domain/crypto/provider-key-cipher.ts';
import { RunBodySchema } from '../domain/runs/request.ts';
import { STREAM_TICKET_TTL_MS } from '../domain/runs/stream-ticket.ts';
import { type ErrorCode, errorStatus } from '../errors/codes.ts';
import { SETTINGS } from '../limits.ts';
import { REFRESH_COOKIE } from '../routes/session.ts';
import { arrayOf, bool, dateTime, fromZod, int, type JsonSchema, obj, ref, str } from './spec.ts';

/** The document's components: the shared schemas, response headers and security schemes. */

export const ERROR_CODES = Object.keys(errorStatus) as ErrorCode[];

export const schemas: Record<string, JsonSchema> = {
  ErrorCode: {
    type: 'string',
    enum: ERROR_CODES,
    description: `Every error code the API answers with. Each has one fixed HTTP status: ${ERROR_CODES.map((c) => `\`${c}\` ${errorStatus[c]}`).join(', ')}.`,
  },
  Error: {
    type: 'object',
    description: 'The one error body of every non-2xx answer.',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: ref('ErrorCode'),
          message: str({ description: 'Safe to show to a user; never contains submitted values.' }),
          requestId: str({ description: 'The same as the `X-Request-Id` response header.' }),
          fields: {
            ...arrayOf(obj({ field: str(), problem: str() })),
            description:
              'On `validation_failed`: each failing field (dotted path) and what is wrong with it.',
          },
        },
        required: ['code', 'message', 'requestId'],
        additionalProperties: true,
      },
    },
    required: ['error'],
  },
  Session: obj({
    accessToken: str({ description: 'A JWT, sent as `Authorization: Bearer <accessToken>`.' }),
    refreshToken: str({
      description: `Single-use: each refresh returns a new pair. Also set as the \`__Secure-${REFRESH_COOKIE}\` cookie.`,
    }),
    expiresIn: int({
      description: 'Seconds until the access token expires.',
      examples: [SETTINGS.accessTokenTtlSeconds.default],
    }),
    tokenType: str({ const: 'Bearer' }),
    user: obj({ id: str(), email: str({ format: 'email' }) }),
  }),
  Me: obj({
    id: str(),
    email: str({ format: 'email' }),
    isAdmin: bool,
    hasPassword: { ...bool, description: 'False for social-only accounts.' },
    emailVerified: { ...bool, description: 'The address was confirmed (link or provider-verified sign-up).' },
    identities: arrayOf(
      obj({
        provider: str({ enum: ['google', 'github'] }),
        email: { type: ['string', 'null'] },
        linkedAt: dateTime(),
      }),
    ),
    createdAt: dateTime(),
  }),
  Org: obj({
    id: str(),
    name: str(),
    personal: bool,
    role: str({ enum: ['owner', 'admin', 'member'], description: "The caller's role in it." }),
    monthlyTokenCap: int({
      type: ['integer', 'null'],
      description: 'Task tokens (in + out) the organization allows itself per UTC month; null: no cap.',
    }),
    createdAt: dateTime(),
  }),
  Member: obj({
    userId: str(),
    email: str({ format: 'email' }),
    role: str({ enum: ['owner', 'admin', 'member'] }),
    joinedAt: dateTime(),
  }),
  ProviderKey: {
    ...obj({
      provider: str({ enum: [...PROVIDERS] }),
      hint: str({ description: 'A masked hint such as `sk-…a1b2`: the key itself is never returned.' }),
      createdAt: dateTime(),
      updatedAt: dateTime(),
    }),
  },
  ApiKey: obj({
    id: str(),
    name: str(),
    prefix: str({ description: 'The public part of the key, to recognize it by.' }),
    scopes: arrayOf(str({ enum: [...API_KEY_SCOPES] })),
    createdAt: dateTime(),
    expiresAt: dateTime(true),
    lastUsedAt: dateTime(true),
    revokedAt: dateTime(true),
  }),
  CreatedApiKey: {
    allOf: [
      ref('ApiKey'),
      obj({ key: str({ pattern: '^ak_', description: 'The secret, shown in this response only.' }) }),
    ],
  },
  Runtime: obj({
    language: str(),
    name: str(),
    version: str({ type: ['string', 'null'] }),
    fileName: str({ type: ['string', 'null'] }),
    compiled: bool,
    limits: obj({
      defaultTimeoutMs: int(),
      maxTimeoutMs: int(),
      compileTimeoutMs: int({ type: ['integer', 'null'] }),
      defaultMemoryMb: int(),
      maxMemoryMb: int(),
      maxOutputBytes: int(),
      maxCodeBytes: int(),
      maxStdinBytes: int(),
    }),
  }),
  RunRequest: {
    ...fromZod(RunBodySchema),
    description:
      'Exactly one of `code` or `files`. Source (code, or all files together) at most ' +
      `${LIMITS.maxCodeBytes} bytes, stdin at most ${LIMITS.maxStdinBytes} bytes, file names unique. ` +
      'The first of `files` is the entry point (as on Piston); Java runs any public class name. ' +
      'The language and limits must be offered by a sandbox host (GET /v1/runtimes). ' +
      '`wait: true` answers with the finished run when it ends in time, otherwise (and without `wait`) 202.',
  },
  RunResult: {
    ...fromZod(RunResultSchema, 'output'),
    description: 'A finished run, as sandbox hosts report it.',
  },
  Run: obj({
    id: str(),
    language: str(),
    status: str({ enum: [...RUN_VIEW_STATUSES] }),
    exitCode: int({ type: ['integer', 'null'] }),
    signal: str({ type: ['string', 'null'] }),
    stdout: str({
      type: ['string', 'null'],
      description: 'Null in list items and while the run is in progress.',
    }),
    stderr: str({
      type: ['string', 'null'],
      description: 'Null in list items and while the run is in progress.',
    }),
    stdoutTruncated: bool,
    stderrTruncated: bool,
    wallMs: int({ type: ['integer', 'null'] }),
    cpuMs: int({ type: ['integer', 'null'] }),
    peakMemoryBytes: int({ type: ['integer', 'null'] }),
    createdAt: dateTime(),
    startedAt: dateTime(true),
    finishedAt: dateTime(true),
  }),
  RunAccepted: obj({
    id: str(),
    status: str({ const: 'queued' }),
    streamUrl: str({
      format: 'uri',
      description:
        'ws:// or wss:// URL of GET /v1/runs/{id}/stream with a single-use `ticket`; open it as it is.',
    }),
    streamUrlExpiresAt: dateTime(),
  }),
  StreamTicket: obj({
    ticket: str({ description: `Single-use, valid for ${STREAM_TICKET_TTL_MS / 1000} s.` }),
    streamUrl: str({ format: 'uri', description: 'Append `&from=SEQ` to resume after the frame SEQ.' }),
    expiresAt: dateTime(),
  }),
  StreamFrame: {
    description:
      'A server → client WebSocket message (JSON text). `seq` counts per run; the last frame of every run is ' +
      '`exit` with the result, `error` frames only ever precede it. A client may send `{"type":"ping"}` and ' +
      'gets `{"type":"pong"}`; nothing else is read.',
    oneOf: [
      obj({ type: str({ const: 'started' }), seq: int({ minimum: 0 }), runId: str(), startedAt: dateTime() }),
      obj({ type: str({ enum: ['stdout', 'stderr'] }), seq: int({ minimum: 0 }), runId: str(), data: str() }),
      obj({ type: str({ const: 'exit' }), seq: int({ minimum: 0 }), runId: str(), result: ref('RunResult') }),
      obj({
        type: str({ const: 'error' }),
        seq: int({ minimum: 0 }),
        runId: str(),
        code: str(),
        message: str(),
      }),
    ],
  },
};

export const headers: Record<string, JsonSchema> = {
  XRequestId: {
    description: 'The request id (echoed if the client sent a valid one); also in every error body.',
    schema: str(),
  },
  RateLimit: {
    description:
      'draft-ietf-httpapi-ratelimit-headers: `"<policy>";r=<remaining>;t=<seconds to reset>`, one list member per limit.',
    schema: str(),
  },
  RateLimitPolicy: {
    description: '`"<policy>";q=<limit>;w=<window seconds>`, one list member per limit.',
    schema: str(),
  },
  RetryAfter: { description: 'Seconds to wait before trying again.', schema: int({ minimum: 0 }) },
};

export const securitySchemes: Record<string, JsonSchema> = {
  accessToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A user session: the access token from register, login or refresh.',
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'ak_...',
    description:
      'An API key (`ak_...`), bound to the organization it was created in and limited to its scopes ' +
      `(${API_KEY_SCOPES.join(', ')}), listed in the requirement.`,
  },
  refreshCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: `__Secure-${REFRESH_COOKIE}`,
    description: 'The refresh token cookie (HttpOnly, Secure, SameSite=Strict, Path=/v1/auth) browsers get.',
  },
};
