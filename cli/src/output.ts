import type { Frame, RunResult } from '@airlock/client';

/**
 * How a run shows on the terminal, for `airlock run` and each attempt of `airlock task`: its stdout and
 * stderr go to the CLI's own, kept apart, as frames arrive; at the exit frame, whatever the stream did
 * not carry (the result holds the whole limited output) is written too. A spinner on stderr fills the
 * wait until something arrives.
 */

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  /** Idempotent: the line is cleared once, and only if the spinner was drawn on it. A clear after
   * output has started would erase what the program printed on the terminal's current line. */
  stop(): void;
}

/** A spinner on stderr saying `label` (only on a terminal). */
export function spinner(label: string, enabled = process.stderr.isTTY === true): Spinner {
  if (!enabled) return { stop() {} };
  let i = 0;
  let drawn = false;
  const timer = setInterval(() => {
    drawn = true;
    process.stderr.write(`\r${SPINNER[i++ % SPINNER.length]} ${label}`);
  }, 80);
  return {
    stop() {
      clearInterval(timer);
      if (drawn) process.stderr.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

type OutputFrame = Extract<Frame, { type: 'stdout' | 'stderr' }>;

/** One run's output on the terminal. */
export function runOutput() {
  const shown = { stdout: '', stderr: '' };
  const stream = (name: 'stdout' | 'stderr') => (name === 'stdout' ? process.stdout : process.stderr);
  return {
    write(frame: Pick<OutputFrame, 'type' | 'data'>): void {
      stream(frame.type).write(frame.data);
      shown[frame.type] += frame.data;
    },
    /** Writes what the result holds beyond what was streamed. */
    finish(result: Pick<RunResult, 'stdout' | 'stderr'>): void {
      for (const name of ['stdout', 'stderr'] as const) {
        if (result[name].length > shown[name].length && result[name].startsWith(shown[name])) {
          stream(name).write(result[name].slice(shown[name].length));
        }
      }
    },
  };
}
