import { RunIdSchema, type RunRequest, RunRequestSchema } from '@airlock/protocol';
import { type Context, Hono } from 'hono';
import { database } from '../db/client.ts';
import { RUN_TIMING } from '../domain/runs/config.ts';
import { RunBodySchema, runtimeProblem } from '../domain/runs/request.ts';
import { isTicketShaped, STREAM_TICKET_TTL_MS } from '../domain/runs/stream-ticket.ts';
import { resultView, runView } from '../domain/runs/view.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { auditRequest } from '../lib/audit-request.ts';
import { jsonBody } from '../lib/validate.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { orgContext } from '../middleware/org-context.ts';
import { ipKey, principalKey, rateLimit } from '../middleware/rate-limit.ts';
import { requireScope } from '../middleware/require-scope.ts';
import { findRun, insertRunUnderCap, listRuns, type RunScope } from '../repositories/runs.ts';
import { decodeCursor, encodeCursor, ListQuerySchema } from '../services/run-list.ts';

/**
 * /v1/runs (issue 5, docs/runs.md). Creation validates the request (protocol schema, the hosts'
 * runtime list and limits), applies the per-user creation rate and the per-organization cap on runs
 * in progress, records the run and hands it to its RunSession, which dispatches it to a sandbox host.
 * Reads are scoped to the caller's organization and user: another tenant's run id is a 404.
 * The stream endpoint is authenticated by a single-use ticket (browsers cannot set headers on a
 * WebSocket; access tokens never go in a URL).
 */

const api = rateLimit({ name: 'api', rule: (cfg) => cfg.auth.rateLimits.api, key: principalKey });
const runCreation = rateLimit({
  name: 'runs',
  rule: (cfg) => cfg.runs.createRate,
  key: (c) => `user:${c.get('principal').userId}`,
});
const streamHandshakes = rateLimit({ name: 'stream', rule: (cfg) => cfg.auth.rateLimits.api, key: ipKey });
const authed = [authenticate(), api, orgContext()] as const;

const scopeOf = (c: Context<AppEnv>): RunScope => ({
  orgId: c.get('org').id,
  userId: c.get('principal').userId,
});
const sessionOf = (c: Context<AppEnv>, runId: string) =>
  c.env.RUN_SESSION.get(c.env.RUN_SESSION.idFromName(runId));
const registryOf = (c: Context<AppEnv>) => c.env.HOST_REGISTRY.get(c.env.HOST_REGISTRY.idFromName('global'));

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

async function ownRun(c: Context<AppEnv>) {
  const row = await findRun(database(c.env.DB), scopeOf(c), runIdParam(c));
  if (!row) throw new ApiError('not_found', { message: 'Run not found.' });
  return row;
}

export const runRoutes = new Hono<AppEnv>()
  .post(
    '/v1/runs',
    ...authed,
    requireScope('runs:write'),
    runCreation,
    jsonBody(RunBodySchema),
    async (c) => {
      const config = c.get('config').runs;
      const { wait, ...body } = c.req.valid('json');
      const request: RunRequest = RunRequestSchema.parse(body);
      if (config.hosts.length === 0) throw new ApiError('sandbox_unavailable');

      const runtimes = await registryOf(c).runtimes([...config.hosts], Date.now());
      if (runtimes.reachableHosts === 0) throw new ApiError('sandbox_unavailable');
      const problem = runtimeProblem(request, runtimes.runtimes);
      if (problem) {
        throw new ApiError('validation_failed', {
          message: `Invalid request: ${problem.field} (${problem.problem})`,
          details: { fields: [problem] },
        });
      }

      const db = database(c.env.DB);
      const scope = scopeOf(c);
      const principal = c.get('principal');
      const runId = crypto.randomUUID();
      const now = Date.now();
      const apiKeyId = principal.kind === 'api_key' ? principal.apiKeyId : null;
      const inserted = await insertRunUnderCap(
        db,
        scope,
        { id: runId, language: request.language, apiKeyId },
        config.maxConcurrentPerOrg,
        now,
      );
      if (!inserted) {
        throw new ApiError('run_concurrency_limit', {
          headers: { 'Retry-After': '5' },
          details: { limit: config.maxConcurrentPerOrg },
        });
      }
      const session = sessionOf(c, runId);
      const waitMs = wait ? Math.max(0, config.waitMaxMs - (Date.now() - now)) : undefined;
      const [started] = await Promise.all([
        session.start(
          { runId, scope, request, hosts: [...config.hosts], busyWaitMs: config.busyWaitMs },
          { waitMs },
        ),
        auditRequest(
          c,
          db,
          {
            action: 'run.create',
            targetType: 'run',
            targetId: runId,
            metadata: { language: request.language },
          },
          now,
        ),
      ]);
      if (started.state === 'busy') {
        // Every host is at capacity: nothing ran and nothing is recorded; the client retries.
        throw new ApiError('sandbox_busy', {
          headers: { 'Retry-After': String(RUN_TIMING.busyRetryAfterSeconds) },
        });
      }
      if (started.state === 'final') {
        if (started.result.status === 'sandbox_unavailable') {
          throw new ApiError('sandbox_unavailable', { details: { runId } });
        }
        // The session hands back exactly the result it wrote to D1: no second read needed.
        return c.json(
          resultView({ id: runId, language: request.language, createdAt: now }, started.result),
          200,
        );
      }
      const ticket = started.ticket;
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
    // Browsers always send Origin on a WebSocket handshake; other clients may omit it.
    const origin = c.req.header('origin');
    if (origin !== undefined && !c.get('config').allowedOrigins.has(origin))
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
