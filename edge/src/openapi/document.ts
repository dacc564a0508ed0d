import { type ErrorCode, errorStatus } from '../errors/codes.ts';
import { accountOperations } from './account.ts';
import { adminOperations } from './admin.ts';
import { authOperations } from './auth.ts';
import { ERROR_CODES, headers, schemas, securitySchemes } from './components.ts';
import { fileOperations } from './files.ts';
import { keyOperations } from './keys.ts';
import { oauthOperations } from './oauth.ts';
import { orgOperations } from './orgs.ts';
import { pistonOperations } from './piston.ts';
import { runOperations } from './runs.ts';
import { type JsonSchema, type OperationSpec, ref, str } from './spec.ts';
import { taskOperations } from './tasks.ts';
import { usageOperations } from './usage.ts';

/**
 * The OpenAPI 3.1 document of the whole v1 API (DESIGN.md "The contract (v1)"), served at
 * GET /v1/openapi.json. Request bodies and query parameters come from the routes' own zod schemas
 * (`z.toJSONSchema`, input side), so validation and documentation cannot disagree; response shapes
 * are written out in the area files. test/openapi checks that every route of the app is documented and that
 * nothing documented is missing from the app.
 *
 * A few request schemas are declared inline in their routes (password forgot/reset, the account
 * routes' bodies, the admin queries): they are restated from the same building blocks.
 *
 * Split by area: spec.ts (building blocks), components.ts (shared schemas), one file of operations
 * per area (auth, account, orgs, keys, runs, tasks, files, admin, piston), assembled here in the API's order.
 */

const operations: readonly OperationSpec[] = [
  ...authOperations,
  ...oauthOperations,
  ...accountOperations,
  ...orgOperations,
  ...keyOperations,
  ...runOperations,
  ...taskOperations,
  ...usageOperations,
  ...fileOperations,
  ...adminOperations,
  ...pistonOperations,
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
  'idempotency_in_progress',
  'token_cap_reached',
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
      ...(s.schema ? { content: { [s.mediaType ?? 'application/json']: { schema: s.schema } } } : {}),
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
    security: op.verbatim?.security ?? securityOf(op),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? true,
            ...(op.body.description ? { description: op.body.description } : {}),
            content: Object.fromEntries(
              (op.body.mediaTypes ?? op.verbatim?.requestMediaTypes ?? ['application/json']).map((t) => [
                t,
                { schema: op.body?.schema },
              ]),
            ),
          },
        }
      : {}),
    responses: op.verbatim?.responses ?? responsesOf(op),
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
