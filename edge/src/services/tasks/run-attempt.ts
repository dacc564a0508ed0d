import type { RunRequest, RunResult } from '@airlock/protocol';
import type { Database } from '../../db/client.ts';
import type { RateRule } from '../../domain/auth/rate-limit.ts';
import type { SandboxHostRef } from '../../domain/runs/config.ts';
import type { StreamFrame } from '../../domain/runs/frames.ts';
import type { TransferRule } from '../../domain/runs/transfer.ts';
import { RUNS_QUOTA, runsQuotaKey } from '../../middleware/api-limit.ts';
import { userQuotas } from '../../middleware/rate-limit.ts';
import { insertedRun, insertRunUnderCap, type RunScope } from '../../repositories/runs.ts';
import { checkOutputBudget } from '../output-budget.ts';

/**
 * One attempt's program through the same pipeline as POST /v1/runs: the user's run-creation rate
 * (the same RateLimiter object the route hits), the organization's cap on runs in progress, a run row
 * (carrying the task id), and the run's own RunSession, which dispatches it to a sandbox host. The
 * task watches the run the way a client does, through a stream ticket, and relays its frames.
 */
export interface RunAttemptInput {
  taskId: string;
  scope: RunScope;
  apiKeyId: string | null;
  request: RunRequest;
  hosts: SandboxHostRef[];
  runRate: RateRule;
  /** The organization's output budget (services/output-budget.ts), checked and charged like a run's. */
  outputRate: RateRule;
  maxConcurrentPerOrg: number;
  busyWaitMs: number;
  fileTransfer: TransferRule;
  /** Absolute deadline (epoch ms): the run is cancelled when the task's time is up. */
  deadline: number;
}

export interface RunAttemptDeps {
  env: Env;
  db: Database;
  /** Each of the run's frames, in order, as the run's stream sends them. */
  onFrame: (frame: StreamFrame) => void;
}

export type RunAttemptOutcome =
  | { ok: true; runId: string; result: RunResult }
  | {
      ok: false;
      code: 'rate_limited' | 'run_concurrency_limit' | 'sandbox_busy' | 'task_timeout';
      runId?: string;
    };

export async function runAttempt(input: RunAttemptInput, deps: RunAttemptDeps): Promise<RunAttemptOutcome> {
  const { env, db } = deps;
  // The same run-creation quota as POST /v1/runs (middleware/api-limit.ts), in the user's object, and
  // the organization's output budget (a read), asked together: one round trip's latency.
  const [[decision], budget] = await Promise.all([
    userQuotas(env, input.scope.userId).admit(
      [{ key: `${RUNS_QUOTA.name}:${runsQuotaKey(input.scope.userId)}`, rule: input.runRate }],
      Date.now(),
    ),
    checkOutputBudget(env, input.scope.orgId, input.outputRate),
  ]);
  if (!decision?.allowed || !budget.allowed) return { ok: false, code: 'rate_limited' };

  const runId = crypto.randomUUID();
  const inserted = await insertRunUnderCap(
    db,
    input.scope,
    { id: runId, language: input.request.language, apiKeyId: input.apiKeyId, taskId: input.taskId },
    input.maxConcurrentPerOrg,
    Date.now(),
  );
  if (!insertedRun(inserted)) return { ok: false, code: 'run_concurrency_limit' };

  const session = env.RUN_SESSION.get(env.RUN_SESSION.idFromName(runId));
  const started = await session.start({
    runId,
    scope: input.scope,
    request: input.request,
    hosts: input.hosts,
    busyWaitMs: input.busyWaitMs,
    fileTransfer: input.fileTransfer,
    outputRate: input.outputRate,
  });
  if (started.state === 'busy') return { ok: false, code: 'sandbox_busy', runId };
  if (started.state === 'final') {
    deps.onFrame({ type: 'exit', seq: 0, runId, result: started.result });
    return { ok: true, runId, result: started.result };
  }

  const res = await session.fetch(
    new Request(`https://run-session.internal/v1/runs/${runId}/stream?ticket=${started.ticket}`, {
      headers: { Upgrade: 'websocket' },
    }),
  );
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new Error(`run stream refused: ${res.status}`);
  ws.accept();
  const result = await new Promise<RunResult | null>((resolve) => {
    const timer = setTimeout(
      () => {
        session.cancel().catch(() => undefined);
        resolve(null);
      },
      Math.max(0, input.deadline - Date.now()),
    );
    let settled = false;
    const settle = (r: RunResult | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    ws.addEventListener('message', (event) => {
      const frame = JSON.parse(String(event.data)) as StreamFrame;
      deps.onFrame(frame);
      if (frame.type === 'exit') settle(frame.result);
    });
    // A stream that closes without `exit` (it cannot, unless the session went away): the row has it.
    ws.addEventListener('close', () => {
      if (settled) return;
      session.waitForResult(Math.max(0, input.deadline - Date.now())).then(settle, () => settle(null));
    });
  });
  try {
    ws.close(1000, 'done');
  } catch {
    // Already closed.
  }
  return result ? { ok: true, runId, result } : { ok: false, code: 'task_timeout', runId };
}
