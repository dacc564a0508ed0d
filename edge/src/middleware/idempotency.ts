import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client.ts';
import { KEY_PROBLEM, keepsAnswer, requestHash, validKey } from '../domain/idempotency/key.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { FIXED } from '../limits.ts';
import {
  claimKey,
  findKey,
  type IdempotencyRef,
  type IdempotencyRow,
  releaseKey,
  storeAnswer,
  takeOverKey,
} from '../repositories/idempotency-keys.ts';

/**
 * `Idempotency-Key` for the routes that start work (POST /v1/runs, POST /v1/tasks), after Stripe's
 * semantics. A retry with the same key, by the same organization, user and credential, within 24 h,
 * gets the first answer (same status and body, `Idempotent-Replayed: true`) and starts nothing.
 * The same key with another request (method, path or body bytes differ) → 422
 * `idempotency_key_reused`. While the first request is still in flight, a duplicate → 409
 * `idempotency_in_progress` with `Retry-After` (answering at once rather than holding the duplicate:
 * a task's first answer can take up to its whole timeout, longer than a client should hang).
 * Which answers are kept and which release the key: domain/idempotency/key.ts.
 *
 * Two things of an answer are not stored as they were: a stream URL carries a single-use ticket
 * (a credential, and spent after the first use), so the stored body holds `streamUrl: null` and a
 * replay gets a fresh ticket from the route (`freshStream`); and an answer too large for a D1 row
 * (a waited-for run with megabytes of output) is stored as its id, and a replay re-reads it
 * (`reload`).
 *
 * Mount after authentication, the organization and the scope check, and before body validation
 * (whose refusal then releases the key). POST /v1/runs mounts it after its one admission call (both
 * quotas in one round trip), so a replay is throttled like any request; POST /v1/tasks before its
 * creation limit.
 */

export interface IdempotencyOptions {
  /** A fresh stream URL for the run or task `id` of a replayed 202. */
  freshStream(c: Context<AppEnv>, id: string): Promise<{ streamUrl: string; streamUrlExpiresAt: string }>;
  /** The answer body for `id` when it was too large to store; null if it is gone. */
  reload?(c: Context<AppEnv>, id: string): Promise<Record<string, unknown> | null>;
}

const HEADER = 'idempotency-key';
/** Headers of the first answer replayed with it. */
const KEPT_HEADERS = ['retry-after'] as const;
/** Marks a stored body that holds only the answer's id (too large to keep whole). */
const RELOAD = ':reload';
const IN_PROGRESS_RETRY_AFTER_SECONDS = '1';

function refOf(c: Context<AppEnv>, key: string): IdempotencyRef {
  const principal = c.get('principal');
  return {
    orgId: c.get('org').id,
    userId: principal.userId,
    principal: principal.kind === 'api_key' ? `api_key:${principal.apiKeyId}` : 'user',
    key,
  };
}

export function idempotency(options: IdempotencyOptions): MiddlewareHandler<AppEnv> {
  return async function idempotency(c, next) {
    const key = c.req.header(HEADER);
    if (key === undefined) return next();
    if (!validKey(key)) {
      throw new ApiError('validation_failed', {
        message: `Invalid request: Idempotency-Key (${KEY_PROBLEM})`,
        details: { fields: [{ field: 'Idempotency-Key', problem: KEY_PROBLEM }] },
      });
    }
    const db = database(c.env.DB);
    const ref = refOf(c, key);
    const now = c.get('now')();
    const claim = {
      requestHash: await requestHash(c.req.method, c.req.path, await c.req.arrayBuffer()),
      lockId: crypto.randomUUID(),
      now,
      lockMs: FIXED.idempotencyLockMs,
      ttlMs: FIXED.idempotencyKeyTtlMs,
    };

    if (!(await claimKey(db, ref, claim))) {
      const row = await findKey(db, ref);
      // Gone between the two statements (expired and cleaned, or released): claim it afresh.
      const ours = row ? await existing(c, row, claim, options) : await claimKey(db, ref, claim);
      if (ours instanceof Response) return ours;
      if (!ours) throw inProgress();
    }

    await next();

    const error = c.error instanceof ApiError ? c.error : undefined;
    const facts = {
      status: c.res.status,
      error: error && { code: error.code, details: error.details },
      unexpected: c.error !== undefined && !error,
    };
    try {
      if (!keepsAnswer(facts)) {
        await releaseKey(db, ref, claim.lockId);
        return;
      }
      await storeAnswer(db, ref, claim.lockId, {
        status: c.res.status,
        body: storedBody(await c.res.clone().text()),
        headers: keptHeaders(c.res.headers),
      });
    } catch (err) {
      // The answer still goes out; the key stays claimed until its lock lapses.
      c.get('logger').error('idempotency key not recorded', { err });
    }
  };
}

/**
 * A row for the key exists: replay its answer, refuse (other request, or still in flight), or take
 * it over when it expired or its request died. True: the key is now ours.
 */
async function existing(
  c: Context<AppEnv>,
  row: IdempotencyRow,
  claim: Parameters<typeof takeOverKey>[2],
  options: IdempotencyOptions,
): Promise<Response | boolean> {
  const expired = row.expiresAt <= claim.now;
  const abandoned = row.responseStatus === null && row.lockedUntil <= claim.now;
  if (expired || abandoned) return takeOverKey(database(c.env.DB), refOf(c, row.key), claim);
  if (row.requestHash !== claim.requestHash) throw new ApiError('idempotency_key_reused');
  if (row.responseStatus === null) return false;
  return replay(c, row.responseStatus, row.responseBody, row.responseHeaders ?? {}, options);
}

function inProgress(): ApiError {
  return new ApiError('idempotency_in_progress', {
    headers: { 'Retry-After': IN_PROGRESS_RETRY_AFTER_SECONDS },
  });
}

/** The body to store: no stream ticket, and only the id of an answer too large for a row. */
function storedBody(text: string): string {
  const parsed = parseObject(text);
  if (!parsed) return text;
  if (typeof parsed.streamUrl === 'string') {
    parsed.streamUrl = null;
    delete parsed.streamUrlExpiresAt;
  }
  const body = JSON.stringify(parsed);
  if (new TextEncoder().encode(body).byteLength <= FIXED.idempotencyStoredBodyMaxBytes) return body;
  return JSON.stringify({ [RELOAD]: true, id: parsed.id });
}

function keptHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers.get(name);
    if (value !== null) kept[name] = value;
  }
  return kept;
}

async function replay(
  c: Context<AppEnv>,
  status: number,
  stored: string | null,
  headers: Record<string, string>,
  options: IdempotencyOptions,
): Promise<Response> {
  let body = parseObject(stored ?? '');
  if (body && body[RELOAD] === true && typeof body.id === 'string') {
    body = (await options.reload?.(c, body.id)) ?? null;
    if (!body) throw new ApiError('not_found', { message: 'The first answer of this key is gone.' });
  }
  if (body && body.streamUrl === null && typeof body.id === 'string') {
    body = { ...body, ...(await options.freshStream(c, body.id)) };
  }
  c.get('logger').info('idempotent replay', { status });
  return new Response(body ? JSON.stringify(body) : stored, {
    status,
    headers: { ...headers, 'content-type': 'application/json', 'idempotent-replayed': 'true' },
  });
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
