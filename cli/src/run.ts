import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AirlockClient, Frame, Run } from '@airlock/client';
import { CliError, type Context, EXIT, withClient } from './context.ts';
import { KNOWN_EXTENSIONS, languageOf } from './languages.ts';

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

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner on stderr while nothing has arrived yet (only on a terminal). */
function spinner(enabled: boolean) {
  if (!enabled) return { stop() {} };
  let i = 0;
  let drawn = false;
  const timer = setInterval(() => {
    drawn = true;
    process.stderr.write(`\r${SPINNER[i++ % SPINNER.length]} waiting for a sandbox`);
  }, 80);
  return {
    /** Idempotent: the line is cleared once, and only if the spinner was drawn on it. A clear after
     * output has started would erase what the program printed on the terminal's current line. */
    stop() {
      clearInterval(timer);
      if (drawn) process.stderr.write('\r\x1b[2K');
      drawn = false;
    },
  };
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

async function stream(client: AirlockClient, body: Awaited<ReturnType<typeof request>>): Promise<number> {
  const handle = await client.start(body);
  const spin = spinner(process.stderr.isTTY === true);
  let last: Frame | undefined;
  const shown = { stdout: '', stderr: '' };
  try {
    for await (const frame of handle) {
      if (frame.type === 'stdout' || frame.type === 'stderr') {
        spin.stop();
        (frame.type === 'stdout' ? process.stdout : process.stderr).write(frame.data);
        shown[frame.type] += frame.data;
      }
      last = frame;
    }
  } finally {
    spin.stop();
  }
  if (last?.type !== 'exit') throw new CliError('the run ended without a result', EXIT.unavailable);
  const { result } = last;
  // The result holds the whole (limited) output: whatever the stream did not carry is shown now.
  for (const name of ['stdout', 'stderr'] as const) {
    if (result[name].length > shown[name].length && result[name].startsWith(shown[name])) {
      (name === 'stdout' ? process.stdout : process.stderr).write(result[name].slice(shown[name].length));
    }
  }
  if (result.status !== 'succeeded' && result.status !== 'failed') {
    process.stderr.write(
      `airlock: run ${handle.id} ended ${result.status} after ${Math.round(result.wallMs)} ms\n`,
    );
  }
  return exitCodeOf(result);
}

export async function runCommand(ctx: Context, options: RunOptions): Promise<number> {
  const body = await request(options);
  return withClient(ctx, async (client) => {
    if (!ctx.json) return stream(client, body);
    const run = await client.run(body);
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    return exitCodeOf(run);
  });
}
