import type { Mount, RunRequest, RunResult, SourceFile } from '@airlock/protocol';
import type { ModelMessage } from 'ai';
import type { TaskAttemptRecord } from '../../db/schema.ts';
import type { StreamFrame } from '../../domain/runs/frames.ts';
import { extractProgram, fixPrompt, NO_PROGRAM_PROMPT, systemPrompt } from '../../domain/tasks/program.ts';
import type { ProviderFailure } from '../../providers/errors.ts';
import type { ModelTarget } from '../../providers/models.ts';
import type { ModelCall, ModelOutcome } from '../../providers/stream.ts';
import type { RunAttemptOutcome } from './run-attempt.ts';

/**
 * The task loop, free of storage and streams: ask the model for a program, run it, and while the run
 * fails and attempts remain, give the model the exit status and stderr and run its correction. The
 * first model call's outcome is reported as soon as it is known (`onFirstCall`): the route answers
 * provider failures there with their own HTTP status. Everything else is told through `events`.
 */
export interface TaskPlan {
  taskId: string;
  target: ModelTarget;
  prompt: string;
  language: string;
  limits: RunRequest['limits'];
  /** The project's inline files and uploads, run beside the program (which is the entry). */
  files?: SourceFile[];
  mounts?: Mount[];
  /** The runtime's file name: what the program is called when it runs beside other files. */
  programFile: string;
  maxAttempts: number;
  maxOutputTokens: number;
  deadline: number;
}

export type TaskEnd =
  | { status: 'succeeded' | 'failed'; errorCode: null }
  | { status: 'error'; errorCode: string; failure?: ProviderFailure };

export interface TaskEvents {
  token(attempt: number, text: string): void;
  program(attempt: number, files: SourceFile[]): void;
  runFrame(attempt: number, frame: StreamFrame): void;
  progress(
    attempts: TaskAttemptRecord[],
    usage: { inputTokens: number; outputTokens: number },
  ): Promise<void>;
  /** The first model call streams (`null`) or failed. Called once. */
  onFirstCall(failure: ProviderFailure | null): void;
  log(message: string, fields: Record<string, unknown>): void;
}

export interface TaskDeps {
  callModel(call: ModelCall): Promise<ModelOutcome>;
  /** Runs one program; its run's frames go to `onFrame` in order. */
  runProgram(request: RunRequest, onFrame: (frame: StreamFrame) => void): Promise<RunAttemptOutcome>;
  cancelled(): boolean;
  now(): number;
}

export async function driveTask(
  plan: TaskPlan,
  events: TaskEvents,
  deps: TaskDeps,
): Promise<TaskEnd & { usage: Usage; attempts: TaskAttemptRecord[] }> {
  const usage: Usage = { inputTokens: 0, outputTokens: 0 };
  const attempts: TaskAttemptRecord[] = [];
  const messages: ModelMessage[] = [{ role: 'user', content: plan.prompt }];
  let firstReported = false;
  const reportFirst = (failure: ProviderFailure | null) => {
    if (firstReported) return;
    firstReported = true;
    events.onFirstCall(failure);
  };
  const done = (end: TaskEnd) => {
    reportFirst(end.status === 'error' && end.failure ? end.failure : null);
    return { ...end, usage, attempts };
  };

  for (let attempt = 1; attempt <= plan.maxAttempts; attempt++) {
    if (deps.cancelled()) return done({ status: 'error', errorCode: 'cancelled' });
    if (deps.now() >= plan.deadline) return done({ status: 'error', errorCode: 'task_timeout' });
    const reply = await deps.callModel({
      target: plan.target,
      system: systemPrompt(plan.language),
      messages,
      maxOutputTokens: plan.maxOutputTokens,
      deadline: plan.deadline,
      onToken: (text) => {
        reportFirst(null);
        events.token(attempt, text);
      },
    });
    if (!reply.ok) {
      events.log('model call failed', { attempt, code: reply.failure.code, ...reply.log });
      return done({ status: 'error', errorCode: reply.failure.code, failure: reply.failure });
    }
    reportFirst(null);
    usage.inputTokens += reply.inputTokens;
    usage.outputTokens += reply.outputTokens;
    messages.push({ role: 'assistant', content: reply.text });

    const files = extractProgram(reply.text, plan.language);
    const record = (runId: string | null, outcome: string, programFiles: SourceFile[]) =>
      attempts.push({
        attempt,
        runId,
        files: programFiles,
        inputTokens: reply.inputTokens,
        outputTokens: reply.outputTokens,
        firstTokenMs: reply.firstTokenMs,
        outcome,
      });
    if (!files) {
      record(null, 'no_program', []);
      await events.progress(attempts, usage);
      messages.push({ role: 'user', content: NO_PROGRAM_PROMPT });
      continue;
    }
    events.program(attempt, files);
    // Deleted while the model wrote: no run for a task that no longer exists.
    if (deps.cancelled()) return done({ status: 'error', errorCode: 'cancelled' });
    const entry = files[0]?.content ?? '';
    const run = await deps.runProgram(attemptRequest(plan, entry), (frame) =>
      events.runFrame(attempt, frame),
    );
    if (!run.ok) {
      record(run.runId ?? null, run.code, files);
      await events.progress(attempts, usage);
      return done({ status: 'error', errorCode: run.code });
    }
    record(run.runId, run.result.status, files);
    await events.progress(attempts, usage);
    if (run.result.status === 'succeeded') return done({ status: 'succeeded', errorCode: null });
    if (!retryable(run.result)) return done({ status: 'failed', errorCode: null });
    messages.push({ role: 'user', content: fixPrompt(run.result) });
  }
  return done({ status: 'failed', errorCode: null });
}

type Usage = { inputTokens: number; outputTokens: number };

/** An attempt's run: the program alone as `code`, or first among the project's files (the entry). */
export function attemptRequest(plan: TaskPlan, program: string): RunRequest {
  const limits = plan.limits ? { limits: plan.limits } : {};
  if (!plan.files && !plan.mounts) return { language: plan.language, code: program, ...limits };
  return {
    language: plan.language,
    files: [{ name: plan.programFile, content: program }, ...(plan.files ?? [])],
    ...(plan.mounts ? { mounts: plan.mounts } : {}),
    ...limits,
  };
}

/** A program's own failure is worth a fix; the platform's (no host, host lost, cancelled) is not. */
function retryable(result: RunResult): boolean {
  return ['failed', 'timed_out', 'oom_killed', 'output_limited'].includes(result.status);
}
