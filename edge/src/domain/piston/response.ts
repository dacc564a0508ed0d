import type { RunView } from '../runs/view.ts';
import type { PistonRuntime } from './runtimes.ts';

/**
 * An Airlock run result → Piston's execute answer (api/src/job.js: `{language, version, run, compile?}`,
 * each stage `{stdout, stderr, output, code, signal, message, status, memory, cpu_time, wall_time}`).
 *
 * Airlock runs compile and run in one sandbox and reports one result, so the mapping is:
 * - compiled language, compilation failed (`compile_failed`): `compile` carries the output, exit code
 *   and figures; `run` is the same object (Piston's own answer when the run stage never started);
 * - compiled language, compilation succeeded: `compile` is code 0 with empty output and null figures;
 *   `run` has all output (compiler warnings included, on stderr) and the figures of the whole run;
 * - `output` is stdout followed by stderr (Piston interleaves them; the result keeps them apart);
 * - `status` uses isolate's codes: null (exit 0), `RE` (non-zero exit), `SG` (killed by a signal,
 *   memory included), `TO` (timeout), `OL`/`EL` (stdout/stderr over the output limit), `XX` (the
 *   sandbox host was lost). `memory` is the peak in bytes, `cpu_time` and `wall_time` in ms.
 */

export interface PistonStage {
  stdout: string;
  stderr: string;
  output: string;
  code: number | null;
  signal: string | null;
  message: string | null;
  status: string | null;
  memory: number | null;
  cpu_time: number | null;
  wall_time: number | null;
}

export interface PistonExecuteResult {
  language: string;
  version: string;
  run: PistonStage;
  compile?: PistonStage;
}

/** status, message, code and signal of a stage, from the Airlock status. */
function outcome(run: RunView): Pick<PistonStage, 'status' | 'message' | 'code' | 'signal'> {
  const killed = (status: string, message: string) => ({ status, message, code: null, signal: 'SIGKILL' });
  switch (run.status) {
    case 'timed_out':
      return killed('TO', 'Time limit exceeded (wall clock)');
    case 'oom_killed':
      return killed('SG', 'Memory limit exceeded');
    case 'output_limited':
      return run.stderrTruncated && !run.stdoutTruncated
        ? killed('EL', 'stderr length exceeded')
        : killed('OL', 'stdout length exceeded');
    case 'cancelled':
      return killed('SG', 'Cancelled');
    case 'host_lost':
    case 'sandbox_unavailable':
      return { status: 'XX', message: 'The sandbox host was lost during the run', code: null, signal: null };
    case 'file_missing':
      return {
        status: 'XX',
        message: 'A mounted file was deleted before the run started',
        code: null,
        signal: null,
      };
    default:
      break;
  }
  if (run.signal !== null) {
    return { status: 'SG', message: `Caught fatal signal ${run.signal}`, code: null, signal: run.signal };
  }
  // compile_failed with no exit code: the compiler ran out of its time.
  if (run.status === 'compile_failed' && run.exitCode === null) {
    return killed('TO', 'Time limit exceeded (wall clock)');
  }
  if (run.exitCode !== null && run.exitCode !== 0) {
    return {
      status: 'RE',
      message: `Exited with error status ${run.exitCode}`,
      code: run.exitCode,
      signal: null,
    };
  }
  return { status: null, message: null, code: run.exitCode, signal: null };
}

function stageOf(run: RunView): PistonStage {
  const stdout = run.stdout ?? '';
  const stderr = run.stderr ?? '';
  return {
    stdout,
    stderr,
    output: stdout + stderr,
    ...outcome(run),
    memory: run.peakMemoryBytes,
    cpu_time: run.cpuMs,
    wall_time: run.wallMs,
  };
}

const COMPILED_CLEAN: PistonStage = {
  stdout: '',
  stderr: '',
  output: '',
  code: 0,
  signal: null,
  message: null,
  status: null,
  memory: null,
  cpu_time: null,
  wall_time: null,
};

export function pistonResult(runtime: PistonRuntime, run: RunView): PistonExecuteResult {
  const head = { language: runtime.language, version: runtime.version };
  if (!runtime.airlock.compiled) return { ...head, run: stageOf(run) };
  if (run.status === 'compile_failed') {
    const compile = stageOf(run);
    return { ...head, run: compile, compile };
  }
  return { ...head, run: stageOf(run), compile: { ...COMPILED_CLEAN } };
}
