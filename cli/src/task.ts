import type { Provider, Run, RunResult, Task, TaskFrame, TaskHandle } from '@airlock/client';
import { CliError, type Context, EXIT, retrying, withClient } from './context.ts';
import { runOutput, spinner } from './output.ts';
import { exitCodeOf, reportAbnormal } from './run.ts';

/**
 * `airlock task "PROMPT" --provider P --model M [--language L] [--attempts N] [--timeout MS]`: the
 * caller's own model (their stored provider key) writes a program, Airlock runs it. The model's tokens
 * stream to stderr as they arrive (commentary, like a progress display), the program's stdout and stderr
 * to the CLI's own, so `airlock task … > out` keeps the program's output alone. A failed run that goes
 * back to the model for a fix shows as a new attempt. The CLI exits with the final run's exit code.
 * With --json nothing streams: the finished task (prompt, programs, runs, usage) is printed as JSON.
 */

const PROVIDERS: readonly Provider[] = ['openai', 'anthropic', 'openrouter', 'google'];

export interface TaskOptions {
  prompt: string;
  provider?: string;
  model?: string;
  language?: string;
  attempts?: number;
  timeoutMs?: number;
}

/** Exit codes of a task that ended without a final run (`end` with status `error`). */
const ERROR_EXIT: Readonly<Record<string, number>> = {
  provider_rate_limited: EXIT.retryLater,
  sandbox_unavailable: EXIT.unavailable,
  sandbox_busy: EXIT.retryLater,
  cancelled: 130,
  task_timeout: 124,
};

const USAGE = `usage: airlock task "PROMPT" --provider ${PROVIDERS.join('|')} --model MODEL [--language L] [--attempts N]`;

function request(options: TaskOptions) {
  const provider = PROVIDERS.find((p) => p === options.provider);
  if (!options.prompt.trim()) throw new CliError(`the prompt is empty\n${USAGE}`, EXIT.usage);
  if (!provider) throw new CliError(`--provider is one of ${PROVIDERS.join(', ')}\n${USAGE}`, EXIT.usage);
  if (!options.model) throw new CliError(`--model is required\n${USAGE}`, EXIT.usage);
  return {
    prompt: options.prompt,
    provider,
    model: options.model,
    language: options.language ?? 'python',
    ...(options.attempts === undefined ? {} : { maxAttempts: options.attempts }),
    ...(options.timeoutMs === undefined ? {} : { limits: { timeoutMs: options.timeoutMs } }),
  };
}

const note = (text: string) => process.stderr.write(`airlock: ${text}\n`);

function endCode(
  status: string,
  errorCode: string | null,
  lastRun: Pick<Run, 'status' | 'exitCode'> | undefined,
) {
  if (status === 'error') return ERROR_EXIT[errorCode ?? ''] ?? EXIT.api;
  return lastRun ? exitCodeOf(lastRun) : EXIT.api;
}

async function stream(handle: TaskHandle): Promise<number> {
  let spin = spinner('waiting for the model');
  let output = runOutput();
  let lastRun: RunResult | undefined;
  let atLineStart = true;
  const endLine = () => {
    if (!atLineStart) process.stderr.write('\n');
    atLineStart = true;
  };
  let end: Extract<TaskFrame, { type: 'end' }> | undefined;
  try {
    for await (const frame of handle) {
      switch (frame.type) {
        case 'token':
          spin.stop();
          process.stderr.write(frame.text);
          if (frame.text.length > 0) atLineStart = frame.text.endsWith('\n');
          break;
        case 'program':
          spin.stop();
          endLine();
          note(`running ${frame.files.map((f) => f.name).join(', ')} (attempt ${frame.attempt})`);
          output = runOutput();
          spin = spinner('waiting for a sandbox');
          break;
        case 'stdout':
        case 'stderr':
          spin.stop();
          output.write(frame);
          break;
        case 'error':
          spin.stop();
          note(`run ${frame.runId}: ${frame.message ?? frame.code ?? 'error'}`);
          break;
        case 'exit':
          spin.stop();
          output.finish(frame.result);
          reportAbnormal(frame.runId, frame.result);
          lastRun = frame.result;
          spin = spinner('waiting for the model');
          break;
        case 'end':
          end = frame;
          break;
      }
    }
  } finally {
    spin.stop();
  }
  endLine();
  if (!end) throw new CliError('the task ended without an outcome', EXIT.unavailable);
  const tokens = `${end.inputTokens} tokens in, ${end.outputTokens} out`;
  const attempts = `${end.attempts} attempt${end.attempts === 1 ? '' : 's'}`;
  note(
    end.status === 'error'
      ? `task ${end.taskId} ended with an error (${end.errorCode}) after ${attempts}; ${tokens}`
      : `task ${end.taskId} ${end.status} after ${attempts}; ${tokens}`,
  );
  return endCode(end.status, end.errorCode, lastRun);
}

/** The run of the task's last attempt, if it made one. */
function lastRunOf(task: Task): Run | undefined {
  const runId = task.attempts.at(-1)?.runId;
  return runId ? task.runs.find((r) => r.id === runId) : undefined;
}

export async function taskCommand(ctx: Context, options: TaskOptions): Promise<number> {
  const body = request(options);
  return withClient(ctx, async (client) => {
    const handle = await retrying(ctx, () => client.createTask(body));
    if (!ctx.json) return stream(handle);
    const task = await handle.result();
    process.stdout.write(`${JSON.stringify(task, null, 2)}\n`);
    return endCode(task.status, task.errorCode, lastRunOf(task));
  });
}
