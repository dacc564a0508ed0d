import { RunIdSchema, type RunRequest, RunRequestSchema } from '@airlock/protocol';
import { type Context, Hono } from 'hono';
import { database } from '../db/client.ts';
import { RunBodySchema } from '../domain/runs/request.ts';
import { isTicketShaped, STREAM_TICKET_TTL_MS } from '../domain/runs/stream-ticket.ts';
import { runView } from '../domain/runs/view.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { auditRequest } from '../lib/audit-request.ts';
import { jsonBody } from '../lib/validate.ts';
import { apiLimit, runAdmission } from '../middleware/api-limit.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { orgContext } from '../middleware/org-context.ts';
import { ipKey, rateLimit } from '../middleware/rate-limit.ts';
import { assertScope, requireScope } from '../middleware/require-scope.ts';
import { deleteFinishedRun } from '../repositories/run-output.ts';
import { findRun, listRuns } from '../repositories/runs.ts';
import { createRun, runScopeOf, runSessionOf } from '../services/create-run.ts';
import { resolveMounts } from '../services/files/mounts.ts';
import { decodeCursor, encodeCursor, ListQuerySchema } from '../services/run-list.ts';

/**
 * /v1/runs (issue 5, docs/runs.md). Creation validates the request (protocol schema, the hosts'
 * runtime list and limits), applies the per-user creation rate and the per-organization cap on runs
 * in progress, records the run and hands it to its RunSession, which dispatches it to a sandbox host.
 * Reads are scoped to the caller's organization and user: another tenant's run id is a 404.
 * The stream endpoint is authenticated by a single-use ticket (browsers cannot set headers on a
 * WebSocket; access tokens never go in a URL).
 */

const streamHandshakes = rateLimit({ name: 'stream', rule: (cfg) => cfg.auth.rateLimits.api, key: ipKey });
const authed = [authenticate({ orgLookup: true, admission: apiLimit }), apiLimit, orgContext()] as const;

const scopeOf = runScopeOf;
const sessionOf = runSessionOf;

function streamUrl(c: Context<AppEnv>, runId: string, ticket: string): string {
  const url = new URL(c.req.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `/v1/runs/${runId}/stream`;
  url.search = `?ticket=${ticket}`;
  return url.toString();
}

/** A run id from the path: anything malformed is simply not found. */
function runIdParam(c: Context<AppEnv>): string {
  const id = RunIdSchema.safeParse(c.req.param('id'));
  if (!id.success) throw new ApiError('not_found', { message: 'Run not found.' });
  return id.data;
}

/** Idempotency-Key (issue 13): a replayed 202 gets a fresh ticket; a result too large to store is re-read. */
const runIdempotency = idempotency({
  freshStream: async (c, id) => ({
    streamUrl: streamUrl(c, id, await sessionOf(c, id).issueTicket()),
    streamUrlExpiresAt: new Date(Date.now() + STREAM_TICKET_TTL_MS).toISOString(),
  }),
  reload: async (c, id) => {
    const row = await findRun(database(c.env.DB), scopeOf(c), id);
    return row ? { ...runView(row) } : null;
  },
});

async function ownRun(c: Context<AppEnv>) {
  const row = await findRun(database(c.env.DB), scopeOf(c), runIdParam(c));
  if (!row) throw new ApiError('not_found', { message: 'Run not found.' });
  return row;
}

export const runRoutes = new Hono<AppEnv>()
  .post(
    '/v1/runs',
    // Both quotas (API and run creation) in one round trip: middleware/api-limit.ts.
    authenticate({ orgLookup: true, admission: runAdmission }),
    requireScope('runs:write'),
    // A replay counts against both quotas like any request: retries are throttled too.
    runAdmission,
    orgContext(),
    runIdempotency,
    jsonBody(RunBodySchema),
    async (c) => {
      const { wait, fileIds, ...body } = c.req.valid('json');
      // Mounting a file reads it: an API key needs files:read as well.
      if (fileIds) assertScope(c, 'files:read');
      const mounts = fileIds ? (await resolveMounts(c, scopeOf(c), fileIds, body)).mounts : undefined;
      // RunBodySchema is the protocol's run request plus `wait` and `fileIds`, with the same rules: only
      // a request with mounts is checked again, as a whole.
      const request: RunRequest = mounts ? RunRequestSchema.parse({ ...body, mounts }) : body;
      const created = await createRun(c, request, { wait: wait === true });
      if (created.state === 'final') return c.json(created.run, 200);
      const { runId, ticket } = created;
      return c.json(
        {
          id: runId,
          status: 'queued',
          streamUrl: streamUrl(c, runId, ticket),
          streamUrlExpiresAt: new Date(Date.now() + STREAM_TICKET_TTL_MS).toISOString(),
        },
        202,
      );
    },
  )
  .get('/v1/runs', ...authed, requireScope('runs:read'), async (c) => {
    const query = ListQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      const fields = query.error.issues.map((i) => ({
        field: i.path.join('.') || '(query)',
        problem: i.message,
      }));
      throw new ApiError('validation_failed', {
        message: `Invalid request: ${fields.map((f) => `${f.field} (${f.problem})`).join('; ')}`,
        details: { fields },
      });
    }
    const { limit, cursor, status, language } = query.data;
    const decoded = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !decoded) {
      throw new ApiError('validation_failed', {
        message: 'Invalid request: cursor (not a cursor from a previous page)',
        details: { fields: [{ field: 'cursor', problem: 'not a cursor from a previous page' }] },
      });
    }
    const rows = await listRuns(database(c.env.DB), scopeOf(c), {
      limit: limit + 1,
      cursor: decoded,
      status,
      language,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({
      runs: page.map((r) => runView(r, { output: false })),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    });
  })
  .get('/v1/runs/:id', ...authed, requireScope('runs:read'), async (c) => c.json(runView(await ownRun(c))))
  // Issue 12 (session-hardening): erase a finished run and its stored output.
  .delete('/v1/runs/:id', ...authed, requireScope('runs:write'), async (c) => {
    const row = await ownRun(c);
    const db = database(c.env.DB);
    if (!(await deleteFinishedRun(db, scopeOf(c), row.id))) {
      throw new ApiError('conflict', { message: 'The run is still in progress: cancel it first.' });
    }
    await auditRequest(c, db, { action: 'run.delete', targetType: 'run', targetId: row.id }, Date.now());
    return c.body(null, 204);
  })
  .post('/v1/runs/:id/cancel', ...authed, requireScope('runs:write'), async (c) => {
    const row = await ownRun(c);
    if (row.status !== 'queued' && row.status !== 'running') {
      throw new ApiError('conflict', {
        message: 'The run has already finished.',
        details: { status: row.status },
      });
    }
    const outcome = await sessionOf(c, row.id).cancel();
    await auditRequest(
      c,
      database(c.env.DB),
      { action: 'run.cancel', targetType: 'run', targetId: row.id },
      Date.now(),
    );
    return c.json({ id: row.id, status: outcome.final ? 'finished' : 'cancelling' }, 202);
  })
  .post('/v1/runs/:id/stream-ticket', ...authed, requireScope('runs:read'), async (c) => {
    const row = await ownRun(c);
    const ticket = await sessionOf(c, row.id).issueTicket();
    return c.json({
      ticket,
      streamUrl: streamUrl(c, row.id, ticket),
      expiresAt: new Date(Date.now() + STREAM_TICKET_TTL_MS).toISOString(),
    });
  })
  // Unauthenticated until the session checks the ticket, so limited per client IP: a flood of
  // made-up tickets must not instantiate session objects at will.
  .get('/v1/runs/:id/stream', streamHandshakes, async (c) => {
    const runId = runIdParam(c);
    if ((c.req.header('upgrade') ?? '').toLowerCase() !== 'websocket') throw new ApiError('upgrade_required');
    if (!isTicketShaped(c.req.query('ticket'))) {
      throw new ApiError('unauthorized', { message: 'The stream ticket is invalid, used or expired.' });
    }
    // Browsers always send Origin on a WebSocket handshake; other clients may omit it. The Worker's
    // own origin (the web console it serves) is always allowed, whatever ALLOWED_ORIGINS lists.
    const origin = c.req.header('origin');
    const ownOrigin = new URL(c.req.url).origin;
    if (origin !== undefined && origin !== ownOrigin && !c.get('config').allowedOrigins.has(origin))
      throw new ApiError('origin_not_allowed');
    const from = c.req.query('from');
    if (from !== undefined && !/^\d{1,9}$/.test(from)) {
      throw new ApiError('validation_failed', {
        message: 'Invalid request: from (a frame seq, a non-negative integer)',
        details: { fields: [{ field: 'from', problem: 'a frame seq, a non-negative integer' }] },
      });
    }
    const res = await sessionOf(c, runId).fetch(c.req.raw);
    if (res.status !== 101 || !res.webSocket) {
      c.get('logger').info('stream handshake refused', { reason: 'invalid_ticket' });
      throw new ApiError('unauthorized', { message: 'The stream ticket is invalid, used or expired.' });
    }
    // A fresh Response: the Durable Object's has immutable headers, and later middleware adds some.
    return new Response(null, { status: 101, webSocket: res.webSocket });
  });
