import type { RunRequest } from '@airlock/protocol';
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { batchBuilt, database } from '../db/client.ts';
import { runs } from '../db/schema.ts';
import { runtimeProblem } from '../domain/runs/request.ts';
import type { RuntimeList } from '../domain/runs/runtimes.ts';
import { type RunView, resultView } from '../domain/runs/view.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { auditRequestIf } from '../lib/audit-request.ts';
import { FIXED } from '../limits.ts';
import { insertedRun, insertRunUnderCap, type RunScope } from '../repositories/runs.ts';
import { checkOutputBudget, outputBudgetRefusal } from './output-budget.ts';
import { isolateCachedRuntimes } from './runtimes-cache.ts';

/**
 * Run creation, shared by every route that starts a run (POST /v1/runs, Piston's POST /api/v2/execute):
 * one place applies the hosts' runtime list and limits, the organization's output budget and cap on
 * runs in progress, the audit entry and the hand-over to the run's RunSession, so a compatibility route gets
 * exactly the quotas, sandbox and history of /v1/runs. Routes mount `requireScope('runs:write')` and
 * `runAdmission` (middleware/api-limit.ts: the API and per-user creation quotas) before calling it.
 */

export type CreatedRun =
  /** The run ended within the wait: its view, identical to what D1 now holds. */
  | { state: 'final'; run: RunView }
  /** Still running (or not waited for): watch it with the single-use stream ticket. */
  | { state: 'accepted'; runId: string; ticket: string };

export const runScopeOf = (c: Context<AppEnv>): RunScope => ({
  orgId: c.get('org').id,
  userId: c.get('principal').userId,
});

export const runSessionOf = (c: Context<AppEnv>, runId: string) =>
  c.env.RUN_SESSION.get(c.env.RUN_SESSION.idFromName(runId));

/**
 * The runtimes the configured hosts offer (cached by the HostRegistry, and for a few seconds in the
 * isolate: services/runtimes-cache.ts); no host → `sandbox_unavailable`.
 */
export async function availableRuntimes(c: Context<AppEnv>): Promise<RuntimeList> {
  const hosts = c.get('config').runs.hosts;
  if (hosts.length === 0) throw new ApiError('sandbox_unavailable');
  const registry = c.env.HOST_REGISTRY.get(c.env.HOST_REGISTRY.idFromName('global'));
  const now = Date.now();
  const runtimes = await isolateCachedRuntimes(hosts, now, () => registry.runtimes([...hosts], now));
  if (runtimes.reachableHosts === 0) throw new ApiError('sandbox_unavailable');
  return runtimes;
}

/**
 * Validates `request` against the hosts' runtimes, records the run under the organization's cap and
 * starts it. With `wait`, holds until the run ends or RUN_WAIT_MAX_MS passes. Throws ApiError for
 * every refusal (validation, cap, no host, every host busy).
 */
export async function createRun(
  c: Context<AppEnv>,
  request: RunRequest,
  options: { wait: boolean },
): Promise<CreatedRun> {
  const config = c.get('config').runs;
  // The organization's output budget is asked alongside the runtimes: one round trip's latency.
  const [runtimes, budget] = await Promise.all([
    availableRuntimes(c),
    checkOutputBudget(c.env, c.get('org').id, config.outputRate),
  ]);
  if (!budget.allowed) throw outputBudgetRefusal(budget);
  const problem = runtimeProblem(request, runtimes.runtimes);
  if (problem) {
    throw new ApiError('validation_failed', {
      message: `Invalid request: ${problem.field} (${problem.problem})`,
      details: { fields: [problem] },
    });
  }

  const db = database(c.env.DB);
  const scope = runScopeOf(c);
  const principal = c.get('principal');
  const runId = crypto.randomUUID();
  const now = Date.now();
  const apiKeyId = principal.kind === 'api_key' ? principal.apiKeyId : null;
  // The row under the caps and its audit entry in one D1 batch (one round trip); the entry is written
  // only if the row was, so a creation refused at the cap leaves neither.
  const [insertResult] = await batchBuilt(c.env.DB, [
    insertRunUnderCap(
      db,
      scope,
      { id: runId, language: request.language, apiKeyId },
      config.maxConcurrentPerOrg,
      now,
      config.maxConcurrentPerUser,
    ).getQuery(),
    auditRequestIf(
      c,
      db,
      { action: 'run.create', targetType: 'run', targetId: runId, metadata: { language: request.language } },
      now,
      { from: runs, where: eq(runs.id, runId) },
    ).toSQL(),
  ]);
  if (!insertResult || !insertedRun(insertResult)) {
    throw new ApiError('run_concurrency_limit', {
      headers: { 'Retry-After': '5' },
      details: { limit: config.maxConcurrentPerOrg },
    });
  }
  const waitMs = options.wait ? Math.max(0, config.waitMaxMs - (Date.now() - now)) : undefined;
  const started = await runSessionOf(c, runId).start(
    {
      runId,
      scope,
      request,
      hosts: [...config.hosts],
      busyWaitMs: config.busyWaitMs,
      fileTransfer: config.fileTransfer,
      outputRate: config.outputRate,
    },
    { waitMs },
  );
  if (started.state === 'busy') {
    // Every host is at capacity: nothing ran and nothing is recorded; the client retries.
    throw new ApiError('sandbox_busy', {
      headers: { 'Retry-After': String(FIXED.sandboxBusyRetryAfterSeconds) },
    });
  }
  if (started.state === 'final') {
    if (started.result.status === 'sandbox_unavailable') {
      throw new ApiError('sandbox_unavailable', { details: { runId } });
    }
    // Nothing ran: the run is recorded `file_missing`, and the caller gets the reason at once.
    if (started.result.status === 'file_missing') throw new ApiError('file_missing', { details: { runId } });
    // The session hands back exactly the result it wrote to D1: no second read needed.
    return {
      state: 'final',
      run: resultView({ id: runId, language: request.language, createdAt: now }, started.result),
    };
  }
  return { state: 'accepted', runId, ticket: started.ticket };
}
