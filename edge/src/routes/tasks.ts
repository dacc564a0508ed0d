import { LIMITS, RunIdSchema } from '@airlock/protocol';
import { type Context, Hono } from 'hono';
import { database } from '../db/client.ts';
import { runtimeProblem } from '../domain/runs/request.ts';
import { isTicketShaped, STREAM_TICKET_TTL_MS } from '../domain/runs/stream-ticket.ts';
import { modelAllowed, PROVIDERS } from '../domain/tasks/config.ts';
import { decodeCursor, encodeCursor, TaskListQuerySchema } from '../domain/tasks/list-query.ts';
import { projectPrompt } from '../domain/tasks/program.ts';
import { TaskBodySchema } from '../domain/tasks/request.ts';
import { taskView } from '../domain/tasks/view.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { auditRequest } from '../lib/audit-request.ts';
import { jsonBody } from '../lib/validate.ts';
import { apiLimit } from '../middleware/api-limit.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { orgContext, requestScope } from '../middleware/org-context.ts';
import { ipKey, rateLimit } from '../middleware/rate-limit.ts';
import { assertScope, requireScope } from '../middleware/require-scope.ts';
import type { ProviderFailure } from '../providers/errors.ts';
import { deleteTask, findTask, insertTask, listTaskRuns, listTasks } from '../repositories/tasks.ts';
import { resolveMounts } from '../services/files/mounts.ts';
import { resolveProviderKey } from '../services/provider-key-resolver.ts';
import { capError, capReached, tokenCapState } from '../services/token-cap.ts';

/**
 * /v1/tasks (issue 13): the caller's own model writes a program, Airlock runs it. Creation checks the
 * request against the operator's configuration (offered models, prompt size, attempts) before any
 * provider call, decrypts the caller's provider key (the API key creator's, for an API key) at that
 * moment, and hands both to the task's TaskSession, which answers once the model streams. Reads are
 * scoped like runs: another tenant's task id is a 404. The stream uses the same tickets as runs.
 */

const taskCreation = rateLimit({
  name: 'tasks',
  rule: (cfg) => cfg.tasks.createRate,
  key: (c) => `user:${c.get('principal').userId}`,
});
const streamHandshakes = rateLimit({ name: 'stream', rule: (cfg) => cfg.auth.rateLimits.api, key: ipKey });
const authed = [authenticate(), apiLimit, orgContext()] as const;

const scopeOf = requestScope;
const sessionOf = (c: Context<AppEnv>, taskId: string) =>
  c.env.TASK_SESSION.get(c.env.TASK_SESSION.idFromName(taskId));
const registryOf = (c: Context<AppEnv>) => c.env.HOST_REGISTRY.get(c.env.HOST_REGISTRY.idFromName('global'));

const byteLength = (s: string) => new TextEncoder().encode(s).byteLength;

function invalid(field: string, problem: string): ApiError {
  return new ApiError('validation_failed', {
    message: `Invalid request: ${field} (${problem})`,
    details: { fields: [{ field, problem }] },
  });
}

function streamUrl(c: Context<AppEnv>, taskId: string, ticket: string): string {
  const url = new URL(c.req.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `/v1/tasks/${taskId}/stream`;
  url.search = `?ticket=${ticket}`;
  return url.toString();
}

function taskIdParam(c: Context<AppEnv>): string {
  const id = RunIdSchema.safeParse(c.req.param('id'));
  if (!id.success) throw new ApiError('not_found', { message: 'Task not found.' });
  return id.data;
}

/** Idempotency-Key: a retry returns the first answer and makes no second model call. */
const taskIdempotency = idempotency({
  freshStream: async (c, id) => ({
    streamUrl: streamUrl(c, id, await sessionOf(c, id).issueTicket()),
    streamUrlExpiresAt: new Date(Date.now() + STREAM_TICKET_TTL_MS).toISOString(),
  }),
});

async function ownTask(c: Context<AppEnv>) {
  const row = await findTask(database(c.env.DB), scopeOf(c), taskIdParam(c));
  if (!row) throw new ApiError('not_found', { message: 'Task not found.' });
  return row;
}

/** A provider failure as the client sees it: the code and, for quota, when to retry. Nothing more. */
function providerError(failure: ProviderFailure, taskId: string): ApiError {
  const details = { taskId };
  if (failure.code === 'provider_rate_limited') {
    return new ApiError(failure.code, {
      details,
      headers: { 'Retry-After': String(failure.retryAfterSeconds) },
    });
  }
  return new ApiError(failure.code, { details });
}

export const taskRoutes = new Hono<AppEnv>()
  // Before `/v1/tasks/:id`, which would take `models` for a task id. What the operator offers, so a
  // client (the console's model picker) need not guess: `anyModel` when the list is `*`.
  .get('/v1/tasks/models', ...authed, requireScope('tasks:read'), (c) => {
    const { models, limits } = c.get('config').tasks;
    return c.json({
      providers: PROVIDERS.filter((p) => models[p].size > 0).map((provider) => ({
        provider,
        models: [...models[provider]].filter((m) => m !== '*').sort(),
        anyModel: models[provider].has('*'),
      })),
      limits: { maxPromptBytes: limits.maxPromptBytes, maxAttempts: limits.maxAttempts },
    });
  })
  .post(
    '/v1/tasks',
    ...authed,
    requireScope('tasks:write'),
    taskIdempotency,
    taskCreation,
    jsonBody(TaskBodySchema),
    async (c) => {
      const config = c.get('config');
      const body = c.req.valid('json');
      const limits = config.tasks.limits;
      if (byteLength(body.prompt) > limits.maxPromptBytes) {
        throw invalid('prompt', `at most ${limits.maxPromptBytes} bytes`);
      }
      const maxAttempts = body.maxAttempts ?? 1;
      if (maxAttempts > limits.maxAttempts) throw invalid('maxAttempts', `at most ${limits.maxAttempts}`);
      // No provider call for a model the operator does not offer.
      if (!modelAllowed(config.tasks, body.provider, body.model)) {
        throw new ApiError('unknown_model', { details: { provider: body.provider, model: body.model } });
      }
      if (config.runs.hosts.length === 0) throw new ApiError('sandbox_unavailable');
      const runtimes = await registryOf(c).runtimes([...config.runs.hosts], Date.now());
      if (runtimes.reachableHosts === 0) throw new ApiError('sandbox_unavailable');
      const problem = runtimeProblem(
        { language: body.language, code: '', ...(body.limits ? { limits: body.limits } : {}) },
        runtimes.runtimes,
      );
      if (problem) throw invalid(problem.field, problem.problem);
      // The program runs under the runtime's own file name, first among the project's files.
      const programFile =
        runtimes.runtimes.find((r) => r.language === body.language)?.fileName ?? `main.${body.language}`;
      if (body.files?.some((f) => f.name === programFile)) {
        throw invalid('files', `${programFile} is the name of the model's program`);
      }
      if ((body.files ?? []).reduce((n, f) => n + byteLength(f.content), 0) > LIMITS.maxCodeBytes) {
        throw invalid('files', `at most ${LIMITS.maxCodeBytes} bytes in total`);
      }

      const db = database(c.env.DB);
      const principal = c.get('principal');
      const now = Date.now();
      const scope = scopeOf(c);
      // Mounting a file reads it: an API key needs files:read as well (as on POST /v1/runs).
      if (body.fileIds) assertScope(c, 'files:read');
      const project = body.fileIds
        ? await resolveMounts(c, scope, body.fileIds, {
            language: body.language,
            ...(body.files ? { files: body.files } : {}),
          })
        : undefined;
      if (project?.paths.includes(programFile)) {
        throw invalid('fileIds', `an uploaded file is named ${programFile}, the name of the model's program`);
      }
      // The organization's monthly token cap, before any provider call (and before decrypting a key).
      const cap = await tokenCapState(db, scope.orgId, now);
      if (capReached(cap)) throw capError(cap, now);
      // The key of the user the request acts for (an API key's creator), decrypted now, for this task.
      const key = await resolveProviderKey(
        db,
        config.providerKeyKeyring,
        { userId: principal.userId, provider: body.provider },
        now,
      );
      if (!key.ok) {
        if (key.reason === 'not_configured') {
          throw new ApiError('provider_key_missing', {
            message: `You have no ${body.provider} key stored. Add one with PUT /v1/provider-keys/${body.provider}.`,
            details: { provider: body.provider },
          });
        }
        throw new ApiError('internal_error', { cause: new Error('stored provider key does not decrypt') });
      }

      const taskId = crypto.randomUUID();
      const apiKeyId = principal.kind === 'api_key' ? principal.apiKeyId : null;
      await insertTask(
        db,
        scope,
        {
          id: taskId,
          apiKeyId,
          provider: body.provider,
          model: body.model,
          language: body.language,
          prompt: body.prompt,
          maxAttempts,
        },
        now,
      );
      const [started] = await Promise.all([
        sessionOf(c, taskId).start({
          taskId,
          scope,
          apiKeyId,
          target: {
            provider: body.provider,
            model: body.model,
            baseUrl: config.tasks.baseUrls[body.provider],
            apiKey: key.key,
          },
          prompt: projectPrompt(body.prompt, body.files ?? [], project?.paths ?? []),
          language: body.language,
          limits: body.limits,
          ...(body.files ? { files: body.files } : {}),
          ...(project ? { mounts: project.mounts } : {}),
          programFile,
          maxAttempts,
          maxOutputTokens: limits.maxOutputTokens,
          timeoutMs: limits.timeoutMs,
          capped: cap.cap !== null,
          run: {
            hosts: [...config.runs.hosts],
            rate: config.runs.createRate,
            outputRate: config.runs.outputRate,
            maxConcurrentPerOrg: config.runs.maxConcurrentPerOrg,
            busyWaitMs: config.runs.busyWaitMs,
            fileTransfer: config.runs.fileTransfer,
          },
        }),
        auditRequest(
          c,
          db,
          {
            action: 'task.create',
            targetType: 'task',
            targetId: taskId,
            metadata: { provider: body.provider, model: body.model, language: body.language },
          },
          now,
        ),
      ]);
      if (started.state === 'failed') throw providerError(started.failure, taskId);
      return c.json(
        {
          id: taskId,
          status: 'running',
          streamUrl: streamUrl(c, taskId, started.ticket),
          streamUrlExpiresAt: new Date(Date.now() + STREAM_TICKET_TTL_MS).toISOString(),
        },
        202,
      );
    },
  )
  .get('/v1/tasks', ...authed, requireScope('tasks:read'), async (c) => {
    const query = TaskListQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      const issue = query.error.issues[0];
      throw invalid(issue?.path.join('.') || '(query)', issue?.message ?? 'invalid');
    }
    const { limit, cursor } = query.data;
    const decoded = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !decoded) throw invalid('cursor', 'not a cursor from a previous page');
    const rows = await listTasks(database(c.env.DB), scopeOf(c), { limit: limit + 1, cursor: decoded });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({
      tasks: page.map((r) => taskView(r)),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    });
  })
  .get('/v1/tasks/:id', ...authed, requireScope('tasks:read'), async (c) => {
    const row = await ownTask(c);
    const runs = await listTaskRuns(database(c.env.DB), scopeOf(c), row.id);
    return c.json(taskView(row, { runs }));
  })
  .delete('/v1/tasks/:id', ...authed, requireScope('tasks:write'), async (c) => {
    const row = await ownTask(c);
    if (row.status === 'running') await sessionOf(c, row.id).cancel();
    const db = database(c.env.DB);
    if (!(await deleteTask(db, scopeOf(c), row.id)))
      throw new ApiError('not_found', { message: 'Task not found.' });
    await auditRequest(c, db, { action: 'task.delete', targetType: 'task', targetId: row.id }, Date.now());
    return c.body(null, 204);
  })
  .post('/v1/tasks/:id/stream-ticket', ...authed, requireScope('tasks:read'), async (c) => {
    const row = await ownTask(c);
    const ticket = await sessionOf(c, row.id).issueTicket();
    return c.json({
      ticket,
      streamUrl: streamUrl(c, row.id, ticket),
      expiresAt: new Date(Date.now() + STREAM_TICKET_TTL_MS).toISOString(),
    });
  })
  // Unauthenticated until the session checks the ticket, hence limited per client IP (as for runs).
  .get('/v1/tasks/:id/stream', streamHandshakes, async (c) => {
    const taskId = taskIdParam(c);
    if ((c.req.header('upgrade') ?? '').toLowerCase() !== 'websocket') throw new ApiError('upgrade_required');
    if (!isTicketShaped(c.req.query('ticket'))) {
      throw new ApiError('unauthorized', { message: 'The stream ticket is invalid, used or expired.' });
    }
    // As for runs: the Worker's own origin (the web console it serves) is always allowed.
    const origin = c.req.header('origin');
    const ownOrigin = new URL(c.req.url).origin;
    if (origin !== undefined && origin !== ownOrigin && !c.get('config').allowedOrigins.has(origin))
      throw new ApiError('origin_not_allowed');
    const from = c.req.query('from');
    if (from !== undefined && !/^\d{1,9}$/.test(from))
      throw invalid('from', 'a frame seq, a non-negative integer');
    const res = await sessionOf(c, taskId).fetch(c.req.raw);
    if (res.status !== 101 || !res.webSocket) {
      c.get('logger').info('stream handshake refused', { reason: 'invalid_ticket' });
      throw new ApiError('unauthorized', { message: 'The stream ticket is invalid, used or expired.' });
    }
    return new Response(null, { status: 101, webSocket: res.webSocket });
  });
