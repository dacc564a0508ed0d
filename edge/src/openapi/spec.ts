import { z } from 'zod';
import type { ApiKeyScope } from '../domain/api-keys/token.ts';
import { STREAM_TICKET_TTL_MS } from '../domain/runs/stream-ticket.ts';
import type { ErrorCode } from '../errors/codes.ts';

/**
 * The building blocks of the OpenAPI document: JSON Schema shorthands, zod → JSON Schema, and the
 * description of one operation (`OperationSpec`) that each area's file lists and document.ts turns
 * into OpenAPI operation objects.
 */

export type JsonSchema = Record<string, unknown>;

/** A zod schema as a JSON Schema (2020-12, which OpenAPI 3.1 uses), without the `$schema` member. */
export function fromZod(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
export const str = (extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...extra });
export const dateTime = (nullable = false): JsonSchema =>
  nullable ? { type: ['string', 'null'], format: 'date-time' } : { type: 'string', format: 'date-time' };
export const int = (extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...extra });
export const bool: JsonSchema = { type: 'boolean' };
export const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
/** An object whose members are all present; more fields may appear (DESIGN.md: "more fields are welcome"). */
export const obj = (
  properties: Record<string, JsonSchema>,
  optional: readonly string[] = [],
): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
});

/**
 * Who may call: `public` (no credentials), `user` (access token only), `any` (access token or API
 * key), `admin` (an administrator's access token), `ticket` (the stream ticket in the query).
 */
export type Access = 'public' | 'user' | 'any' | 'admin' | 'ticket';

interface Success {
  status: number;
  description: string;
  schema?: JsonSchema;
  /** Default `application/json`; a download names its own. */
  mediaType?: string;
}

export interface OperationSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
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
  body?: { schema: JsonSchema; required?: boolean; description?: string; mediaTypes?: readonly string[] };
  parameters?: readonly JsonSchema[];
  success: readonly Success[];
  /** Errors beyond those implied by access, body, scope, organization and rate limits. */
  errors?: readonly ErrorCode[];
  extensions?: Record<string, unknown>;
  /**
   * Set by compatibility routes (Piston, /api/v2) whose errors are not Airlock's: the security and
   * responses written out as they are instead of derived from access and error codes.
   */
  verbatim?: { security: JsonSchema[]; responses: Record<string, JsonSchema>; requestMediaTypes?: string[] };
}

export function pathParam(name: string, schema: JsonSchema, description: string): JsonSchema {
  return { name, in: 'path', required: true, description, schema };
}

/** Query parameters from a zod object schema (input side: optional and defaulted members are not required). */
export function queryParams(schema: z.ZodType, descriptions: Record<string, string> = {}): JsonSchema[] {
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

/**
 * The `Idempotency-Key` request header of the routes that start work (middleware/idempotency.ts),
 * and the errors it adds.
 */
export const idempotencyKeyHeader: JsonSchema = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: a request with the key of an earlier one (same caller and credential, within 24 h) ' +
    'starts nothing and gets the first answer again (same status and body, `Idempotent-Replayed: true`; a ' +
    '`streamUrl` carries a fresh ticket). The same key with a different request → 422 ' +
    '`idempotency_key_reused`; while the first is in flight → 409 `idempotency_in_progress` (retry after ' +
    '`Retry-After`). Refusals before anything started (validation, rate limits, busy hosts) are not ' +
    'remembered. 1–255 printable ASCII characters without spaces, e.g. a UUID.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
};
export const IDEMPOTENCY_ERRORS = ['idempotency_in_progress', 'idempotency_key_reused'] as const;

/** A stream WebSocket's query and header parameters: runs and tasks share the ticket and resume scheme. */
export const streamSocketParams: readonly JsonSchema[] = [
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
];

/** The authenticated-API rate limit, which most routes carry. */
export const API = ['api'] as const;
export const noContent = (description: string): Success => ({ status: 204, description });
export const json = (status: number, description: string, schema: JsonSchema): Success => ({
  status,
  description,
  schema,
});
