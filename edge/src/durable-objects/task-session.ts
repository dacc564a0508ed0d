import { DurableObject } from 'cloudflare:workers';
import type { Mount, RunRequest, SourceFile } from '@airlock/protocol';
import { database } from '../db/client.ts';
import type { TaskAttemptRecord } from '../db/schema.ts';
import type { RateRule } from '../domain/auth/rate-limit.ts';
import type { SandboxHostRef } from '../domain/runs/config.ts';
import type { TransferRule } from '../domain/runs/transfer.ts';
import { TASK_FRAME_POLICY, type TaskFrame } from '../domain/tasks/frames.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { FIXED } from '../limits.ts';
import type { ProviderFailure } from '../providers/errors.ts';
import type { ModelTarget } from '../providers/models.ts';
import { callModel } from '../providers/stream.ts';
import type { RunScope } from '../repositories/runs.ts';
import { findTask, finishTask, recordTaskProgress } from '../repositories/tasks.ts';
import { driveTask } from '../services/tasks/drive-task.ts';
import { runAttempt } from '../services/tasks/run-attempt.ts';
import { capReached, tokenCapState } from '../services/token-cap.ts';
import { ReplayStream } from './replay-stream.ts';

/**
 * One object per task (`idFromName(taskId)`): drives the task (services/tasks/drive-task.ts) and
 * streams it through the same ReplayStream as runs (tickets, `?from=SEQ`, late watchers). The
 * caller's provider key arrives with `start` and lives only in this call's memory: it is never
 * written to storage, D1, a frame or a log line, and is gone when the task ends. Prompt and model
 * output go to D1 (the user's history) and frames, never to logs.
 *
 * Storage (SQLite KV): `meta` and the stream's keys. An alarm ends a task that outlived its deadline
 * (say, the object was evicted mid-task and the key with it) and later clears the transcript.
 */

export interface TaskStartInput {
  taskId: string;
  scope: RunScope;
  apiKeyId: string | null;
  target: ModelTarget;
  prompt: string;
  language: string;
  limits: RunRequest['limits'];
  files?: SourceFile[];
  mounts?: Mount[];
  programFile: string;
  maxAttempts: number;
  maxOutputTokens: number;
  timeoutMs: number;
  /** The organization had a monthly token cap at creation: each model call checks it first. */
  capped: boolean;
  run: {
    hosts: SandboxHostRef[];
    rate: RateRule;
    outputRate: RateRule;
    maxConcurrentPerOrg: number;
    busyWaitMs: number;
    fileTransfer: TransferRule;
  };
}

export type TaskStartOutcome =
  | { state: 'running'; ticket: string }
  | { state: 'failed'; failure: ProviderFailure };

interface Meta {
  taskId: string;
  scope: RunScope;
  final: boolean;
  /** The task's deadline while it runs; cleanup time once final. */
  deadline: number;
}

/** Slack after the deadline before the alarm declares the task lost. */
const ALARM_SLACK_MS = 10_000;

export class TaskSession extends DurableObject<Env> {
  #meta: Meta | undefined;
  #stream: ReplayStream<TaskFrame>;
  #cancelled = false;
  #log: Logger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#meta = ctx.storage.kv.get<Meta>('meta');
    this.#stream = new ReplayStream<TaskFrame>(ctx, {
      policy: TASK_FRAME_POLICY,
      loadFinal: async (seq) => {
        const meta = this.#meta;
        if (!meta) return undefined;
        const row = await findTask(database(this.env.DB), meta.scope, meta.taskId);
        return row && endFrame(seq, meta.taskId, row);
      },
    });
    this.#log = createLogger({ component: 'task-session', taskId: this.#meta?.taskId });
  }

  /**
   * Starts the task and resolves once the first model call streams (with a first stream ticket) or
   * failed (with the classified failure, for the route to answer with its status).
   */
  async start(input: TaskStartInput): Promise<TaskStartOutcome> {
    if (this.#meta) throw new Error('task already started');
    const deadline = Date.now() + input.timeoutMs;
    this.#log = createLogger({ component: 'task-session', taskId: input.taskId });
    this.#setMeta({ taskId: input.taskId, scope: input.scope, final: false, deadline });
    await this.ctx.storage.setAlarm(deadline + ALARM_SLACK_MS);

    let first: (failure: ProviderFailure | null) => void = () => undefined;
    const firstCall = new Promise<ProviderFailure | null>((resolve) => {
      first = resolve;
    });
    this.ctx.waitUntil(this.#drive(input, deadline, (f) => first(f)));
    const failure = await firstCall;
    if (failure) return { state: 'failed', failure };
    return { state: 'running', ticket: await this.#stream.issueTicket() };
  }

  issueTicket(): Promise<string> {
    return this.#stream.issueTicket();
  }

  /** Stops the task at its next step (DELETE of a running task). */
  cancel(): void {
    this.#cancelled = true;
  }

  override async fetch(request: Request): Promise<Response> {
    if (!this.#meta) return new Response(null, { status: 401 });
    return this.#stream.connect(request);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.#stream.onMessage(ws, message);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#stream.onClose(ws, code, reason);
  }

  override webSocketError(): void {
    // The runtime drops the socket; nothing to clean up.
  }

  override async alarm(): Promise<void> {
    const meta = this.#meta;
    if (!meta) return;
    if (meta.final) {
      if (Date.now() >= meta.deadline) await this.ctx.storage.deleteAll();
      else await this.ctx.storage.setAlarm(meta.deadline);
      return;
    }
    this.#log.warn('task outlived its deadline: ending it');
    const db = database(this.env.DB);
    const row = await findTask(db, meta.scope, meta.taskId);
    await this.#end({
      status: 'error',
      errorCode: 'task_timeout',
      attempts: row?.attempts ?? [],
      usage: { inputTokens: row?.inputTokens ?? 0, outputTokens: row?.outputTokens ?? 0 },
    });
  }

  async #drive(input: TaskStartInput, deadline: number, onFirstCall: (f: ProviderFailure | null) => void) {
    const db = database(this.env.DB);
    const { taskId, scope } = input;
    const publish = (body: Record<string, unknown>) =>
      this.#stream.publish((seq) => ({ ...body, seq, taskId }) as TaskFrame);
    try {
      const end = await driveTask(
        { ...input, deadline },
        {
          token: (attempt, text) => publish({ type: 'token', attempt, text }),
          program: (attempt, files) => publish({ type: 'program', attempt, files }),
          runFrame: (attempt, frame) => {
            const { seq: _runSeq, ...rest } = frame;
            publish({ ...rest, attempt });
          },
          progress: (attempts, usage) => recordTaskProgress(db, scope, taskId, { attempts, ...usage }),
          onFirstCall,
          log: (message, fields) => this.#log.warn(message, fields),
        },
        {
          callModel: async (call) => {
            if (input.capped && capReached(await tokenCapState(db, scope.orgId, Date.now()))) {
              return { ok: false, failure: { code: 'token_cap_reached' }, log: {} };
            }
            return callModel(call);
          },
          runProgram: (request, onFrame) =>
            runAttempt(
              {
                taskId,
                scope,
                apiKeyId: input.apiKeyId,
                request,
                hosts: input.run.hosts,
                runRate: input.run.rate,
                outputRate: input.run.outputRate,
                maxConcurrentPerOrg: input.run.maxConcurrentPerOrg,
                busyWaitMs: input.run.busyWaitMs,
                fileTransfer: input.run.fileTransfer,
                deadline,
              },
              { env: this.env, db, onFrame },
            ),
          cancelled: () => this.#cancelled,
          now: Date.now,
        },
      );
      await this.#end(end);
    } catch (err) {
      this.#log.error('task failed unexpectedly', { err: { name: (err as Error)?.name } });
      onFirstCall({ code: 'provider_error' });
      await this.#end({
        status: 'error',
        errorCode: 'internal_error',
        attempts: [],
        usage: { inputTokens: 0, outputTokens: 0 },
      });
    }
  }

  async #end(end: {
    status: 'succeeded' | 'failed' | 'error';
    errorCode: string | null;
    attempts: TaskAttemptRecord[];
    usage: { inputTokens: number; outputTokens: number };
  }): Promise<void> {
    const meta = this.#meta;
    if (!meta || meta.final) return;
    const db = database(this.env.DB);
    const finishedAt = Date.now();
    await finishTask(db, meta.scope, meta.taskId, {
      status: end.status,
      errorCode: end.errorCode,
      attempts: end.attempts,
      ...end.usage,
      finishedAt,
    }).catch((err: unknown) => this.#log.error('could not record the task result', { err }));
    this.#setMeta({ ...meta, final: true, deadline: finishedAt + FIXED.runTranscriptRetainMs });
    this.#stream.end((seq) => ({
      type: 'end',
      seq,
      taskId: meta.taskId,
      status: end.status,
      errorCode: end.errorCode,
      attempts: end.attempts.length,
      inputTokens: end.usage.inputTokens,
      outputTokens: end.usage.outputTokens,
    }));
    this.#log.info('task ended', { status: end.status, code: end.errorCode, attempts: end.attempts.length });
    await this.ctx.storage.setAlarm(finishedAt + FIXED.runTranscriptRetainMs);
  }

  #setMeta(meta: Meta): void {
    this.#meta = meta;
    this.ctx.storage.kv.put('meta', meta);
  }
}

function endFrame(
  seq: number,
  taskId: string,
  row: {
    status: string;
    errorCode: string | null;
    attempts: unknown[];
    inputTokens: number;
    outputTokens: number;
  },
): TaskFrame {
  return {
    type: 'end',
    seq,
    taskId,
    status: row.status,
    errorCode: row.errorCode,
    attempts: row.attempts.length,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
  };
}
