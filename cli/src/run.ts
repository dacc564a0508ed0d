import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Frame, Run, RunHandle, RunResult } from '@airlock/client';
import { CliError, type Context, EXIT, retrying, withClient } from './context.ts';
import { KNOWN_EXTENSIONS, languageOf } from './languages.ts';
import { runOutput, spinner } from './output.ts';

/**
 * `airlock run FILE [--stdin FILE] [--language L] [--timeout MS] [-- ARGS...]`: the file runs in a
 * sandbox; its stdout and stderr stream live to the CLI's own stdout and stderr, kept apart; the
 * CLI exits with the program's exit code. With --json nothing streams: the finished run is printed
 * as JSON (exit code still the program's).
 */

/** Exit codes for runs that ended without one of their own (as a shell would report them). */
const STATUS_EXIT: Readonly<Record<string, number>> = {
  timed_out: 124,
  oom_killed: 137,
  output_limited: 141,
  cancelled: 130,
  compile_failed: 1,
  sandbox_unavailable: EXIT.unavailable,
  host_lost: EXIT.unavailable,
};

export interface RunOptions {
  file: string;
  stdin?: string;
  language?: string;
  timeoutMs?: number;
  args: string[];
}

export function exitCodeOf(run: Pick<Run, 'status' | 'exitCode'>): number {
  if (run.status === 'succeeded' || run.status === 'failed') return run.exitCode ?? EXIT.api;
  if (run.status === 'compile_failed' && run.exitCode !== null && run.exitCode !== 0) return run.exitCode;
  return STATUS_EXIT[run.status] ?? EXIT.api;
}

async function request(options: RunOptions) {
  const language = options.language ?? languageOf(options.file);
  if (!language) {
    throw new CliError(
      `cannot tell the language of ${basename(options.file)}: use --language, or one of ${KNOWN_EXTENSIONS.join(' ')}`,
      EXIT.usage,
    );
  }
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new CliError(
        `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        EXIT.usage,
      );
    }
  };
  return {
    language,
    code: await read(options.file, 'the file'),
    ...(options.stdin === undefined ? {} : { stdin: await read(options.stdin, 'the stdin file') }),
    ...(options.args.length > 0 ? { args: options.args } : {}),
    ...(options.timeoutMs === undefined ? {} : { limits: { timeoutMs: options.timeoutMs } }),
  };
}

/** A line on stderr for a run that ended without an exit code of its own (timeout, limits…). */
export function reportAbnormal(runId: string, result: Pick<RunResult, 'status' | 'wallMs'>): void {
  if (result.status !== 'succeeded' && result.status !== 'failed') {
    process.stderr.write(
      `airlock: run ${runId} ended ${result.status} after ${Math.round(result.wallMs)} ms\n`,
    );
  }
}

async function stream(handle: RunHandle): Promise<number> {
  const spin = spinner('waiting for a sandbox');
  const output = runOutput();
  let last: Frame | undefined;
  try {
    for await (const frame of handle) {
      if (frame.type === 'stdout' || frame.type === 'stderr') {
        spin.stop();
        output.write(frame);
      }
      last = frame;
    }
  } finally {
    spin.stop();
  }
  if (last?.type !== 'exit') throw new CliError('the run ended without a result', EXIT.unavailable);
  output.finish(last.result);
  reportAbnormal(handle.id, last.result);
  return exitCodeOf(last.result);
}

export async function runCommand(ctx: Context, options: RunOptions): Promise<number> {
  const body = await request(options);
  return withClient(ctx, async (client) => {
    // Only the creation is retried (--wait): once the run exists, it is followed, never repeated.
    const handle = await retrying(ctx, () => client.start(body));
    if (!ctx.json) return stream(handle);
    const run = await handle.result();
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    return exitCodeOf(run);
  });
}
