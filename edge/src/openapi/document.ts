import { LIMITS, RUN_STATUSES, RunIdSchema, RunResultSchema } from '@airlock/protocol';
import { z } from 'zod';
import { API_KEY_SCOPES, type ApiKeyScope } from '../domain/api-keys/token.ts';
import { PROVIDERS } from '../domain/crypto/provider-key-cipher.ts';
import { ListQuerySchema } from '../domain/runs/list-query.ts';
import { RunBodySchema } from '../domain/runs/request.ts';
import { STREAM_TICKET_TTL_MS } from '../domain/runs/stream-ticket.ts';
import { type ErrorCode, errorStatus } from '../errors/codes.ts';
import { auditQuery, period, usersQuery } from '../routes/admin.ts';
import { newKey } from '../routes/api-keys.ts';
import { credentials, forgotBody, refreshBody, resetBody } from '../routes/auth.ts';
import { changePasswordBody, deleteMeBody } from '../routes/me.ts';
import { invite, newOrg, removal } from '../routes/orgs.ts';
import { keyBody } from '../routes/provider-keys.ts';
import { REFRESH_COOKIE } from '../routes/session.ts';

/**
 * The OpenAPI 3.1 document of the whole v1 API (DESIGN.md "The contract (v1)"), served at
 * GET /v1/openapi.json. Request bodies and query parameters come from the routes' own zod schemas
 * (`z.toJSONSchema`, input side), so validation and documentation cannot disagree; response shapes
 * are written out here. test/openapi checks that every route of the app is documented and that
 * nothing documented is missing from the app.
 *
 * A few request schemas are declared inline in their routes (password forgot/reset, the account
 * routes' bodies, the admin queries): they are restated here from the same building blocks.
 */

type JsonSchema = Record<string, unknown>;

/** A zod schema as a JSON Schema (2020-12, which OpenAPI 3.1 uses), without the `$schema` member. */
function fromZod(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str = (extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...extra });
const dateTime = (nullable = false): JsonSchema =>
  nullable ? { type: ['string', 'null'], format: 'date-time' } : { type: 'string', format: 'date-time' };
const int = (extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...extra });
const bool: JsonSchema = { type: 'boolean' };
const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
/** An object whose members are all present; more fields may appear (DESIGN.md: "more fields are welcome"). */
const obj = (properties: Record<string, JsonSchema>, optional: readonly string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
});

// ── Components ──────────────────────────────────────────────────────────────────────────────────

const ERROR_CODES = Object.keys(errorStatus) as ErrorCode[];
const RUN_VIEW_STATUSES = ['queued', 'running', ...RUN_STATUSES] as const;

const schemas: Record<string, JsonSchema> = {
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
    expiresIn: int({ description: 'Seconds until the access token expires.', examples: [900] }),
    tokenType: str({ const: 'Bearer' }),
    user: obj({ id: str(), email: str({ format: 'email' }) }),
  }),
  Me: obj({
    id: str(),
    email: str({ format: 'email' }),
    isAdmin: bool,
    hasPassword: { ...bool, description: 'False for social-only accounts.' },
    createdAt: dateTime(),
  }),
  Org: obj({
    id: str(),
    name: str(),
    personal: bool,
    role: str({ enum: ['owner', 'admin', 'member'], description: "The caller's role in it." }),
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

const headers: Record<string, JsonSchema> = {
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

const securitySchemes: Record<string, JsonSchema> = {
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

// ── Operations ──────────────────────────────────────────────────────────────────────────────────

/**
 * Who may call: `public` (no credentials), `user` (access token only), `any` (access token or API
 * key), `admin` (an administrator's access token), `ticket` (the stream ticket in the query).
 */
type Access = 'public' | 'user' | 'any' | 'admin' | 'ticket';

interface Success {
  status: number;
  description: string;
  schema?: JsonSchema;
}

interface OperationSpec {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  /** The scope an API key needs. */
  scope?: ApiKeyScope;
  /** Acts in the organization of `X-Org-Id` (default: personal; an API key's own). */
  org?: boolean;
  /** Rate-limit policies (names in `RateLimit-Policy`). */
  rateLimits?: readonly string[];
  body?: { schema: JsonSchema; required?: boolean; description?: string };
  parameters?: readonly JsonSchema[];
  success: readonly Success[];
  /** Errors beyond those implied by access, body, scope, organization and rate limits. */
  errors?: readonly ErrorCode[];
  extensions?: Record<string, unknown>;
}

function pathParam(name: string, schema: JsonSchema, description: string): JsonSchema {
  return { name, in: 'path', required: true, description, schema };
}

/** Query parameters from a zod object schema (input side: optional and defaulted members are not required). */
function queryParams(schema: z.ZodType, descriptions: Record<string, string> = {}): JsonSchema[] {
  const json = fromZod(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(descriptions[name] ? { description: descriptions[name] } : {}),
    schema: s,
  }));
}

const API = ['api'] as const;
const runIdParam = pathParam('id', fromZod(RunIdSchema), 'The run id.');
const orgIdParam = pathParam(
  'id',
  str(),
  'The organization id; an organization the caller is not in is a 404.',
);
const providerParam = pathParam('provider', str({ enum: [...PROVIDERS] }), 'The LLM provider.');
const noContent = (description: string): Success => ({ status: 204, description });
const json = (status: number, description: string, schema: JsonSchema): Success => ({
  status,
  description,
  schema,
});
const adminPeriod = {
  from: 'Start of the period (ISO 8601 date or date-time, inclusive); default: 30 days before `to`.',
  to: 'End of the period (exclusive); default: now. At most 366 days after `from`.',
};

const operations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'health',
    summary: 'Liveness check',
    access: 'public',
    success: [json(200, 'The edge is up.', obj({ status: str({ const: 'ok' }) }))],
  },
  {
    method: 'get',
    path: '/v1/openapi.json',
    operationId: 'openapi',
    tag: 'meta',
    summary: 'This OpenAPI document',
    access: 'public',
    success: [json(200, 'The OpenAPI 3.1 document of the API.', { type: 'object' })],
  },
  // ── auth
  {
    method: 'post',
    path: '/v1/auth/register',
    operationId: 'register',
    tag: 'auth',
    summary: 'Create an account (with a personal organization) and sign in',
    access: 'public',
    rateLimits: ['register'],
    body: { schema: fromZod(credentials), required: true },
    success: [
      json(201, 'The account exists; a session starts (the refresh cookie is set too).', ref('Session')),
    ],
    errors: ['weak_password', 'registration_failed'],
  },
  {
    method: 'post',
    path: '/v1/auth/login',
    operationId: 'login',
    tag: 'auth',
    summary: 'Sign in with email and password',
    access: 'public',
    rateLimits: ['login'],
    body: { schema: fromZod(credentials), required: true },
    success: [json(200, 'A new session (the refresh cookie is set too).', ref('Session'))],
    errors: ['invalid_credentials'],
  },
  {
    method: 'post',
    path: '/v1/auth/refresh',
    operationId: 'refresh',
    tag: 'auth',
    summary: 'Exchange a refresh token for a new token pair',
    description:
      'The refresh token comes from the JSON body or, without one, the refresh cookie. Each refresh token ' +
      'works once: presenting a used one revokes its whole session family.',
    access: 'public',
    body: { schema: fromZod(refreshBody), required: false },
    success: [json(200, 'A new token pair.', ref('Session'))],
    errors: ['invalid_refresh_token'],
  },
  {
    method: 'post',
    path: '/v1/auth/logout',
    operationId: 'logout',
    tag: 'auth',
    summary: 'End the session of a refresh token',
    description:
      'The refresh token comes from the JSON body or the refresh cookie; an unknown one is not an error.',
    access: 'public',
    body: { schema: fromZod(refreshBody), required: false },
    success: [noContent('Signed out; the refresh cookie is cleared.')],
  },
  {
    method: 'post',
    path: '/v1/auth/password/forgot',
    operationId: 'forgotPassword',
    tag: 'auth',
    summary: 'Ask for a password reset link by email',
    description: 'Always 202, whether or not an account with a password uses the address.',
    access: 'public',
    rateLimits: ['password'],
    body: { schema: fromZod(forgotBody), required: true },
    success: [json(202, 'Accepted.', obj({ status: str({ const: 'accepted' }), message: str() }))],
  },
  {
    method: 'post',
    path: '/v1/auth/password/reset',
    operationId: 'resetPassword',
    tag: 'auth',
    summary: 'Set a new password with the token from the reset link',
    description: 'Every session of the account ends.',
    access: 'public',
    rateLimits: ['password'],
    body: {
      schema: fromZod(resetBody),
      required: true,
    },
    success: [noContent('The password is changed.')],
    errors: ['weak_password', 'invalid_reset_token'],
  },
  // ── account
  {
    method: 'get',
    path: '/v1/me',
    operationId: 'getMe',
    tag: 'account',
    summary: 'The signed-in user',
    access: 'user',
    rateLimits: API,
    success: [json(200, 'The account.', ref('Me'))],
  },
  {
    method: 'put',
    path: '/v1/me/password',
    operationId: 'changePassword',
    tag: 'account',
    summary: 'Change the password',
    description: 'Needs the current password; every session of the account ends.',
    access: 'user',
    rateLimits: ['api', 'reauth'],
    body: {
      schema: fromZod(changePasswordBody),
      required: true,
    },
    success: [noContent('The password is changed.')],
    errors: ['weak_password', 'password_incorrect', 'reauthentication_required'],
  },
  {
    method: 'delete',
    path: '/v1/me',
    operationId: 'deleteMe',
    tag: 'account',
    summary: 'Delete the account',
    description:
      'Needs the current password (social-only accounts: `reauthentication_required`). Organizations left ' +
      'without members are deleted; ownership passes on where another member remains.',
    access: 'user',
    rateLimits: ['api', 'reauth'],
    body: { schema: fromZod(deleteMeBody), required: true },
    success: [noContent('The account is gone.')],
    errors: ['password_incorrect', 'reauthentication_required'],
  },
  // ── orgs
  {
    method: 'get',
    path: '/v1/orgs',
    operationId: 'listOrgs',
    tag: 'orgs',
    summary: "The caller's organizations",
    description: 'An API key sees only its own organization.',
    access: 'any',
    rateLimits: API,
    success: [json(200, 'The organizations.', obj({ orgs: arrayOf(ref('Org')) }))],
  },
  {
    method: 'post',
    path: '/v1/orgs',
    operationId: 'createOrg',
    tag: 'orgs',
    summary: 'Create an organization (the caller owns it)',
    access: 'user',
    rateLimits: API,
    body: { schema: fromZod(newOrg), required: true },
    success: [json(201, 'The organization.', ref('Org'))],
  },
  {
    method: 'get',
    path: '/v1/orgs/{id}/members',
    operationId: 'listMembers',
    tag: 'orgs',
    summary: 'Members of an organization',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam],
    success: [json(200, 'The members.', obj({ members: arrayOf(ref('Member')) }))],
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/v1/orgs/{id}/members',
    operationId: 'addMember',
    tag: 'orgs',
    summary: 'Add an existing user by email',
    description: 'Owners add admins and members; admins add members. Personal organizations have one member.',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam],
    body: { schema: fromZod(invite), required: true },
    success: [json(201, 'The new member.', ref('Member'))],
    errors: ['not_found', 'conflict', 'personal_org'],
  },
  {
    method: 'delete',
    path: '/v1/orgs/{id}/members',
    operationId: 'removeMember',
    tag: 'orgs',
    summary: 'Remove a member (or leave) by user id or email',
    description:
      "Anyone may leave; owners remove anyone, admins remove plain members. The member's API keys in the " +
      'organization are revoked.',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam],
    body: { schema: fromZod(removal), required: true },
    success: [noContent('The member is removed.')],
    errors: ['not_found', 'last_owner', 'personal_org'],
  },
  {
    method: 'delete',
    path: '/v1/orgs/{id}/members/{userId}',
    operationId: 'removeMemberById',
    tag: 'orgs',
    summary: 'Remove a member (or leave) by user id',
    description: 'The same as DELETE /v1/orgs/{id}/members with `{"userId"}`.',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam, pathParam('userId', str(), 'The member to remove.')],
    success: [noContent('The member is removed.')],
    errors: ['not_found', 'last_owner', 'personal_org'],
  },
  // ── provider keys
  {
    method: 'get',
    path: '/v1/provider-keys',
    operationId: 'listProviderKeys',
    tag: 'provider keys',
    summary: "The caller's LLM provider keys (masked)",
    access: 'user',
    rateLimits: API,
    success: [
      json(
        200,
        'The supported providers and the stored keys, as hints.',
        obj({ providers: arrayOf(str({ enum: [...PROVIDERS] })), keys: arrayOf(ref('ProviderKey')) }),
      ),
    ],
  },
  {
    method: 'put',
    path: '/v1/provider-keys/{provider}',
    operationId: 'putProviderKey',
    tag: 'provider keys',
    summary: 'Store or replace the key for a provider',
    description: 'The key is encrypted at rest and never returned; responses carry a masked hint.',
    access: 'user',
    rateLimits: API,
    parameters: [providerParam],
    body: { schema: fromZod(keyBody), required: true },
    success: [json(201, 'Stored.', ref('ProviderKey')), json(200, 'Replaced.', ref('ProviderKey'))],
    errors: ['not_found'],
  },
  {
    method: 'delete',
    path: '/v1/provider-keys/{provider}',
    operationId: 'deleteProviderKey',
    tag: 'provider keys',
    summary: 'Delete the key for a provider',
    access: 'user',
    rateLimits: API,
    parameters: [providerParam],
    success: [noContent('Deleted.')],
    errors: ['not_found'],
  },
  // ── API keys
  {
    method: 'get',
    path: '/v1/api-keys',
    operationId: 'listApiKeys',
    tag: 'api keys',
    summary: "The caller's API keys in the organization",
    access: 'user',
    org: true,
    rateLimits: API,
    success: [json(200, 'The keys, without secrets.', obj({ keys: arrayOf(ref('ApiKey')) }))],
  },
  {
    method: 'post',
    path: '/v1/api-keys',
    operationId: 'createApiKey',
    tag: 'api keys',
    summary: 'Create an API key in the organization',
    description: 'The secret (`key`) is in this response only. `expiresAt` must be within 366 days.',
    access: 'user',
    org: true,
    rateLimits: API,
    body: { schema: fromZod(newKey), required: true },
    success: [json(201, 'The key, with its secret.', ref('CreatedApiKey'))],
    errors: ['api_key_limit'],
  },
  {
    method: 'delete',
    path: '/v1/api-keys/{id}',
    operationId: 'revokeApiKey',
    tag: 'api keys',
    summary: 'Revoke an API key',
    access: 'user',
    org: true,
    rateLimits: API,
    parameters: [pathParam('id', str(), 'The API key id.')],
    success: [noContent('Revoked (or already revoked).')],
  },
  // ── runtimes
  {
    method: 'get',
    path: '/v1/runtimes',
    operationId: 'listRuntimes',
    tag: 'runtimes',
    summary: 'Languages, versions, default and maximum limits',
    access: 'any',
    rateLimits: API,
    success: [
      json(
        200,
        'What the sandbox hosts offer.',
        obj({
          runtimes: arrayOf(ref('Runtime')),
          limits: obj({
            maxCodeBytes: int(),
            maxStdinBytes: int(),
            maxFiles: int(),
            maxArgs: int(),
            maxOutputBytes: int(),
            defaultTimeoutMs: int(),
            maxTimeoutMs: int(),
          }),
        }),
      ),
    ],
    errors: ['sandbox_unavailable'],
  },
  // ── runs
  {
    method: 'post',
    path: '/v1/runs',
    operationId: 'createRun',
    tag: 'runs',
    summary: 'Run code in a sandbox',
    description:
      '`wait: true` answers 200 with the finished run if it ends within the wait limit; otherwise 202 with ' +
      'the id and a `streamUrl` to watch it. At most a configured number of runs per organization are in ' +
      'progress at once (`run_concurrency_limit`).',
    access: 'any',
    scope: 'runs:write',
    org: true,
    rateLimits: ['api', 'runs'],
    body: { schema: ref('RunRequest'), required: true },
    success: [
      json(200, 'With `wait: true`: the finished run.', ref('Run')),
      json(202, 'Queued: watch it on `streamUrl`, or poll GET /v1/runs/{id}.', ref('RunAccepted')),
    ],
    errors: ['run_concurrency_limit', 'sandbox_unavailable', 'sandbox_busy'],
  },
  {
    method: 'get',
    path: '/v1/runs',
    operationId: 'listRuns',
    tag: 'runs',
    summary: 'Runs of the caller in the organization, newest first',
    access: 'any',
    scope: 'runs:read',
    org: true,
    rateLimits: API,
    parameters: queryParams(ListQuerySchema, {
      limit: 'Page size, 1 to 100 (default 20).',
      cursor: '`nextCursor` of the previous page.',
    }),
    success: [
      json(
        200,
        'A page of runs (without output).',
        obj({ runs: arrayOf(ref('Run')), nextCursor: str({ type: ['string', 'null'] }) }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/runs/{id}',
    operationId: 'getRun',
    tag: 'runs',
    summary: 'A run, with its output once finished',
    access: 'any',
    scope: 'runs:read',
    org: true,
    rateLimits: API,
    parameters: [runIdParam],
    success: [json(200, 'The run.', ref('Run'))],
  },
  {
    method: 'post',
    path: '/v1/runs/{id}/cancel',
    operationId: 'cancelRun',
    tag: 'runs',
    summary: 'Cancel a run in progress',
    description: 'The run ends with status `cancelled` (unless it finishes first).',
    access: 'any',
    scope: 'runs:write',
    org: true,
    rateLimits: API,
    parameters: [runIdParam],
    success: [
      json(
        202,
        'Cancellation is under way (`cancelling`), or the run had just finished (`finished`).',
        obj({ id: str(), status: str({ enum: ['cancelling', 'finished'] }) }),
      ),
    ],
    errors: ['conflict'],
  },
  {
    method: 'post',
    path: '/v1/runs/{id}/stream-ticket',
    operationId: 'createStreamTicket',
    tag: 'runs',
    summary: 'A fresh single-use ticket for the run stream',
    description:
      'E.g. to reconnect to GET /v1/runs/{id}/stream with `?from=SEQ` after the first ticket was used.',
    access: 'any',
    scope: 'runs:read',
    org: true,
    rateLimits: API,
    parameters: [runIdParam],
    success: [json(200, 'The ticket and the URL to open.', ref('StreamTicket'))],
  },
  {
    method: 'get',
    path: '/v1/runs/{id}/stream',
    operationId: 'streamRun',
    tag: 'runs',
    summary: 'Watch a run over a WebSocket',
    description:
      'A WebSocket endpoint (`Upgrade: websocket`), authenticated by the single-use `ticket` from POST /v1/runs ' +
      'or POST /v1/runs/{id}/stream-ticket instead of a header (browsers cannot set one). The server sends ' +
      'JSON `StreamFrame` messages: the frames so far (after `from`, when given), then live ones; it closes ' +
      'the socket after `exit`. A browser `Origin` must be allowed.',
    access: 'ticket',
    parameters: [
      runIdParam,
      {
        name: 'ticket',
        in: 'query',
        required: true,
        description: `Single-use, valid for ${STREAM_TICKET_TTL_MS / 1000} s.`,
        schema: str(),
      },
      {
        name: 'from',
        in: 'query',
        required: false,
        description: 'Resume: only frames with a `seq` greater than this.',
        schema: str({ pattern: '^\\d{1,9}$' }),
      },
      { name: 'Upgrade', in: 'header', required: true, schema: str({ const: 'websocket' }) },
    ],
    success: [
      { status: 101, description: 'Switching Protocols: the WebSocket; messages are `StreamFrame`s.' },
    ],
    errors: ['upgrade_required', 'origin_not_allowed', 'validation_failed', 'unauthorized', 'not_found'],
    extensions: {
      'x-websocket': {
        serverMessages: ref('StreamFrame'),
        clientMessages: obj({ type: str({ const: 'ping' }) }),
      },
    },
  },
  // ── admin
  {
    method: 'get',
    path: '/v1/admin/stats',
    operationId: 'adminStats',
    tag: 'admin',
    summary: 'Platform statistics for a period',
    access: 'admin',
    rateLimits: API,
    parameters: queryParams(z.strictObject(period), adminPeriod),
    success: [
      json(
        200,
        'Counts of users, organizations and runs.',
        obj({
          period: obj({ from: dateTime(), to: dateTime() }),
          users: obj({ total: int(), admins: int() }),
          orgs: obj({ total: int(), personal: int() }),
          runs: obj({
            total: int(),
            byStatus: { type: 'object', additionalProperties: int() },
            byLanguage: { type: 'object', additionalProperties: int() },
            daily: arrayOf(
              obj({ date: str({ format: 'date' }), status: str(), language: str(), runs: int() }),
            ),
          }),
        }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/admin/users',
    operationId: 'adminUsers',
    tag: 'admin',
    summary: 'Users, by email',
    access: 'admin',
    rateLimits: API,
    parameters: queryParams(usersQuery, { q: 'Email prefix.', after: '`next` of the previous page.' }),
    success: [
      json(
        200,
        'A page of users.',
        obj({
          users: arrayOf(
            obj({ id: str(), email: str({ format: 'email' }), isAdmin: bool, createdAt: dateTime() }),
          ),
          next: str({ type: ['string', 'null'] }),
        }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/admin/billing',
    operationId: 'adminBilling',
    tag: 'admin',
    summary: 'Usage per organization for a period',
    access: 'admin',
    rateLimits: API,
    parameters: queryParams(z.strictObject(period), adminPeriod),
    success: [
      json(
        200,
        'Runs and CPU/wall time per organization, most CPU first.',
        obj({
          period: obj({ from: dateTime(), to: dateTime() }),
          orgs: arrayOf(
            obj({
              orgId: str(),
              name: str(),
              personal: bool,
              runs: int(),
              cpuSeconds: { type: 'number' },
              wallSeconds: { type: 'number' },
            }),
          ),
        }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/admin/audit',
    operationId: 'adminAudit',
    tag: 'admin',
    summary: 'The audit log, newest first',
    access: 'admin',
    rateLimits: API,
    parameters: queryParams(auditQuery, {
      ...adminPeriod,
      actor: 'Actor user id.',
      org: 'Organization id.',
      cursor: '`next` of the previous page.',
    }),
    success: [
      json(
        200,
        'A page of audit entries.',
        obj({
          entries: arrayOf({ type: 'object', properties: { id: str(), action: str(), at: dateTime() } }),
          next: str({ type: ['string', 'null'] }),
        }),
      ),
    ],
  },
];

// ── Assembly ────────────────────────────────────────────────────────────────────────────────────

const BODY_ERRORS: readonly ErrorCode[] = [
  'invalid_json',
  'validation_failed',
  'unsupported_media_type',
  'payload_too_large',
];
const RETRY_AFTER_CODES: ReadonlySet<ErrorCode> = new Set([
  'rate_limited',
  'run_concurrency_limit',
  'sandbox_busy',
]);

function errorCodesOf(op: OperationSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>();
  if (op.body) for (const code of BODY_ERRORS) codes.add(code);
  if (op.access === 'user' || op.access === 'any' || op.access === 'admin') codes.add('unauthorized');
  if (op.access === 'user' || op.access === 'admin') codes.add('forbidden');
  if (op.scope) codes.add('insufficient_scope');
  if (op.org) codes.add('not_found');
  if (op.rateLimits?.length) codes.add('rate_limited');
  for (const code of op.errors ?? []) codes.add(code);
  codes.add('internal_error');
  return ERROR_CODES.filter((code) => codes.has(code));
}

function securityOf(op: OperationSpec): JsonSchema[] {
  switch (op.access) {
    case 'public':
      return op.path === '/v1/auth/refresh' || op.path === '/v1/auth/logout'
        ? [{}, { refreshCookie: [] }]
        : [];
    case 'ticket':
      return [];
    case 'user':
    case 'admin':
      return [{ accessToken: [] }];
    case 'any':
      return [{ accessToken: [] }, { apiKey: op.scope ? [op.scope] : [] }];
  }
}

const headerRef = (name: string): JsonSchema => ({ $ref: `#/components/headers/${name}` });

function responsesOf(op: OperationSpec): Record<string, JsonSchema> {
  const limited = (op.rateLimits?.length ?? 0) > 0;
  const successHeaders: Record<string, JsonSchema> = {
    'X-Request-Id': headerRef('XRequestId'),
    ...(limited
      ? { RateLimit: headerRef('RateLimit'), 'RateLimit-Policy': headerRef('RateLimitPolicy') }
      : {}),
  };
  const responses: Record<string, JsonSchema> = {};
  for (const s of op.success) {
    responses[String(s.status)] = {
      description: s.description,
      headers: successHeaders,
      ...(s.schema ? { content: { 'application/json': { schema: s.schema } } } : {}),
    };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(op)) {
    const status = errorStatus[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const retry = codes.some((code) => RETRY_AFTER_CODES.has(code));
    responses[String(status)] = {
      description: `Error: ${codes.map((code) => `\`${code}\``).join(', ')}.`,
      headers: {
        'X-Request-Id': headerRef('XRequestId'),
        ...(status === 429 && limited
          ? { RateLimit: headerRef('RateLimit'), 'RateLimit-Policy': headerRef('RateLimitPolicy') }
          : {}),
        ...(retry ? { 'Retry-After': headerRef('RetryAfter') } : {}),
      },
      content: { 'application/json': { schema: ref('Error') } },
    };
  }
  responses.default = { $ref: '#/components/responses/Error' };
  return responses;
}

function operationObject(op: OperationSpec): JsonSchema {
  const parameters = [...(op.parameters ?? [])];
  if (op.org) {
    parameters.push({
      name: 'X-Org-Id',
      in: 'header',
      required: false,
      description:
        'The organization to act in; default: the personal one (an API key: its own). Not a member → 404.',
      schema: str({ pattern: '^[A-Za-z0-9-]{1,64}$' }),
    });
  }
  const notes = [
    op.description,
    op.access === 'admin'
      ? 'Administrators only (a user session; API keys never reach admin routes).'
      : undefined,
    op.access === 'user' ? 'A user session only: API keys are refused (403 `forbidden`).' : undefined,
    op.scope ? `API keys need the \`${op.scope}\` scope.` : undefined,
    op.rateLimits?.length ? `Rate-limited (policies: ${op.rateLimits.join(', ')}).` : undefined,
  ].filter((n): n is string => n !== undefined);
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(notes.length > 0 ? { description: notes.join('\n\n') } : {}),
    security: securityOf(op),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? true,
            ...(op.body.description ? { description: op.body.description } : {}),
            content: { 'application/json': { schema: op.body.schema } },
          },
        }
      : {}),
    responses: responsesOf(op),
    ...op.extensions,
  };
}

export type OpenApiDocument = JsonSchema & {
  openapi: string;
  paths: Record<string, Record<string, JsonSchema>>;
  components: JsonSchema & { schemas: Record<string, JsonSchema> };
};

/** The document; pure and deterministic (build it once and cache it). */
export function buildOpenApiDocument(): OpenApiDocument {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of operations) {
    const item = paths[op.path] ?? {};
    if (item[op.method])
      throw new Error(`openapi: ${op.method.toUpperCase()} ${op.path} is documented twice`);
    item[op.method] = operationObject(op);
    paths[op.path] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Airlock API',
      version: '1',
      description:
        'Run untrusted code in sandboxes. JSON bodies (`Content-Type: application/json`); every error is ' +
        '`{"error": {"code", "message", "requestId"}}` with the status of its code. Authenticate with ' +
        '`Authorization: Bearer <access JWT>` or `Authorization: Bearer <API key>`. Every response carries ' +
        '`X-Request-Id`; rate-limited routes carry `RateLimit` and `RateLimit-Policy`, and a 429 also `Retry-After`.',
    },
    servers: [{ url: '/' }],
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      responses: {
        Error: {
          description: 'Any error: the standard error body, with the status of its code.',
          headers: { 'X-Request-Id': headerRef('XRequestId') },
          content: { 'application/json': { schema: ref('Error') } },
        },
      },
      headers,
      securitySchemes,
    },
  };
}
