/**
 * Executes one run on a pre-started sandbox, in named steps:
 *   1. prepareInput   the tar of the files, the args and stdin as bytes
 *   2. handover       memory limit, CPU mark, then streamInput (header, tar, args, [stdin]), then `started`
 *   3. output         every piece is charged and relayed by the OutputAccount (runner/output.ts)
 *   4. phases         compile and run time limits and their completion markers (runner/phases.ts)
 *   5. finish         exit status and cgroup accounting → result (runner/result.ts); the container is
 *                     destroyed as soon as the result is known (right after it, when the program has ended)
 */
import type { RunRequest, RunResult, RunStatus } from '@airlock/protocol';
import type { CgroupReader } from '../docker/cgroup.ts';
import type { Sandbox } from '../docker/sandbox.ts';
import type { StreamName } from '../docker/stream.ts';
import { GO_LINE, wrapperHeader } from '../docker/wrapper.ts';
import type { RuntimeManifest } from '../images/manifest.ts';
import { boostWhileShort } from './cpu-boost.ts';
import { planRun } from './entry.ts';
import { OutputAccount } from './output.ts';
import type { Phase } from './phases.ts';
import { PhaseTimers } from './phases.ts';
import type { Ending } from './result.ts';
import { buildResult } from './result.ts';
import type { StartPriority } from './start-priority.ts';
import { packFiles } from './tar.ts';
import type { WorkEntry } from './work-tree.ts';

export interface RunSink {
  started(startedAt: string): void;
  output(stream: StreamName, text: string): void;
}

interface ExecuteInput {
  sandbox: Sandbox;
  manifest: RuntimeManifest;
  request: RunRequest;
  /** What /work holds (runner/work-tree.ts), built and checked before the run was admitted; without it, the inline source. */
  work?: readonly WorkEntry[];
  timeoutMs: number;
  memoryMb: number;
  compileTimeoutMs: number;
  maxOutputBytes: number;
  cgroup: CgroupReader;
  /** The interactive boost (./cpu-boost.ts): CPU ms at the default weight, the run's cores. */
  cpuBoost: { boostMs: number; cpus: number; onError: (err: unknown) => void };
  /** The run's start at the machine's normal priority (./start-priority.ts); none: the parent as configured. */
  startPriority?: StartPriority;
  now: () => number;
}

interface Execution {
  result: Promise<RunResult>;
  /** Settles when the container is gone (or, when `result` rejects, at once: the caller destroys it). */
  cleanup: Promise<void>;
}

interface RunInput {
  tar: Buffer;
  args: Buffer[];
  stdin: Buffer;
  compile: string[] | null;
  run: string[];
}

export function executeRun(input: ExecuteInput, sink: RunSink, signal: AbortSignal): Execution {
  let resolveCleanup: () => void = () => undefined;
  const cleanup = new Promise<void>((r) => {
    resolveCleanup = r;
  });
  const result = run(input, sink, signal, (p) => {
    p.then(resolveCleanup, resolveCleanup);
  });
  // A run that fails before its handover completes (the memory limit cannot be set, say) never reaches
  // the destroy step: its caller destroys the container, and `cleanup` must settle all the same, or
  // the service's idle() (and with it the host's shutdown) waits forever.
  result.catch(() => resolveCleanup());
  return { result, cleanup };
}

async function run(
  input: ExecuteInput,
  sink: RunSink,
  signal: AbortSignal,
  onDestroy: (p: Promise<void>) => void,
): Promise<RunResult> {
  const prepared = await prepareInput(input);
  const { sandbox } = input;
  if (prepared.compile === null) await sandbox.setMemory(input.memoryMb, input.cgroup);
  const cpuAtStart = await input.cgroup.mark(sandbox.id);
  const startedAtMs = input.now();
  return new Promise<RunResult>((resolve) => {
    new RunExecution(input, prepared, sink, signal, { cpuAtStart, startedAtMs, onDestroy, resolve }).start();
  });
}

/**
 * Step 1: everything the container reads, as bytes: /work's tree (./work-tree.ts, built with the
 * plan's files) and the entry's commands (./entry.ts; pure, so the same plan as at admission).
 */
async function prepareInput({ manifest, request, work }: ExecuteInput): Promise<RunInput> {
  const plan = planRun(manifest, request, work);
  return {
    tar: await packFiles(
      work ??
        plan.files.map((f) => ({ path: f.name, type: 'file', content: Buffer.from(f.content, 'utf8') })),
    ),
    args: (request.args ?? []).map((a) => Buffer.from(a, 'utf8')),
    stdin: Buffer.from(request.stdin ?? '', 'utf8'),
    compile: plan.compile,
    run: plan.run,
  };
}

interface Handover {
  cpuAtStart: number | null;
  startedAtMs: number;
  onDestroy: (p: Promise<void>) => void;
  resolve: (r: RunResult) => void;
}

class RunExecution {
  readonly #in: ExecuteInput;
  readonly #prepared: RunInput;
  readonly #signal: AbortSignal;
  readonly #h: Handover;
  readonly #output: OutputAccount;
  readonly #phases: PhaseTimers;
  readonly #sink: RunSink;
  #done = false;
  #endPriority: () => void = () => undefined;
  readonly #onAbort = () => void this.#finish('cancelled', null);

  constructor(input: ExecuteInput, prepared: RunInput, sink: RunSink, signal: AbortSignal, h: Handover) {
    this.#in = input;
    this.#prepared = prepared;
    this.#signal = signal;
    this.#h = h;
    this.#sink = sink;
    this.#output = new OutputAccount(input.maxOutputBytes, input.sandbox.nonce.length, sink);
    this.#phases = new PhaseTimers({
      timedOut: (phase) => this.#timedOut(phase),
      completed: (phase, code) => void this.#completed(phase, code),
    });
  }

  /**
   * The input is written before `started` is sent and before the sandbox's events are listened to: the
   * program starts working while the frame goes out. Nothing the container writes can come between
   * (its output arrives in a later I/O callback), so `started` still precedes every output frame.
   */
  start(): void {
    if (this.#signal.aborted) {
      this.#sendStarted();
      void this.#finish('cancelled', null);
      return;
    }
    this.#signal.addEventListener('abort', this.#onAbort);
    const { sandbox, cgroup, cpuBoost, startPriority } = this.#in;
    const endStart = startPriority?.begin() ?? (() => undefined);
    const stopBoost = boostWhileShort({
      cgroup,
      containerId: sandbox.id,
      cpuAtStart: this.#h.cpuAtStart,
      ...cpuBoost,
    });
    this.#endPriority = () => {
      endStart();
      stopBoost();
    };
    this.#streamInput();
    this.#sendStarted();
    sandbox.listen({
      output: (name, data, rawBytes) => this.#onOutput(name, data, rawBytes),
      marker: (name, marker) => this.#phases.marker(name, marker),
      end: () => void this.#finish('failed', null, true),
    });
  }

  #sendStarted(): void {
    this.#sink.started(new Date(this.#h.startedAtMs).toISOString());
  }

  /** Step 2: header and commands, files and args; then stdin and EOF unless the program waits for its compile. */
  #streamInput(): void {
    const { sandbox } = this.#in;
    const { tar, args, compile, run } = this.#prepared;
    sandbox.write(
      wrapperHeader({
        nonce: sandbox.nonce,
        tarBytes: tar.length,
        argBytes: args.map((a) => a.length),
        compile,
        run,
      }),
    );
    sandbox.write(tar);
    for (const a of args) sandbox.write(a);
    if (compile !== null) {
      this.#phases.start('compile', this.#in.compileTimeoutMs);
    } else {
      this.#phases.start('run', this.#in.timeoutMs);
      this.#sendStdin();
    }
  }

  #sendStdin(): void {
    const { sandbox } = this.#in;
    if (this.#prepared.stdin.length > 0) sandbox.write(this.#prepared.stdin);
    sandbox.endInput();
  }

  /** Step 3: charge every raw byte, relay what fits; the limit ends the run. */
  #onOutput(name: StreamName, data: Buffer, rawBytes: number): void {
    if (this.#done) return;
    if (!this.#output.take(name, data, rawBytes)) void this.#finish('output_limited', null);
  }

  /** Step 4: phase limits and completions. */
  #timedOut(phase: Phase): void {
    if (phase === 'run') {
      void this.#finish('timed_out', null);
      return;
    }
    this.#output.note('stderr', `airlock: compilation exceeded ${this.#in.compileTimeoutMs} ms\n`);
    void this.#finish('compile_failed', null);
  }

  async #completed(phase: Phase, code: number): Promise<void> {
    if (phase === 'run') {
      void this.#finish('succeeded', code);
      return;
    }
    if (code !== 0) {
      void this.#finish('compile_failed', code);
      return;
    }
    try {
      await this.#in.sandbox.setMemory(this.#in.memoryMb, this.#in.cgroup);
    } catch {
      void this.#finish('failed', null);
      return;
    }
    if (this.#done) return;
    this.#phases.start('run', this.#in.timeoutMs);
    this.#in.sandbox.write(GO_LINE);
    this.#sendStdin();
  }

  /** Step 5: accounting first (the cgroup goes with the container), then destroy, then the result. */
  async #finish(status: RunStatus, code: number | null, fromExit = false): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#phases.stop();
    this.#endPriority();
    this.#signal.removeEventListener('abort', this.#onAbort);
    const { sandbox, cgroup, now } = this.#in;
    const endedAtMs = now();
    const usage = await cgroup.read(sandbox.id);
    const ending: Ending = { status, exitCode: code, oomKilled: false };
    if (fromExit) {
      const exit = await sandbox.inspectExit();
      ending.exitCode = exit.exitCode;
      ending.oomKilled = exit.oomKilled;
    }
    // A code comes only with the phase's completion markers: the program has ended and only the
    // wrapper's `sleep` is left, so the container goes one event-loop turn later, once the result is
    // on its way (starting the engine's kill costs ~0.4 ms here, on the result's path). Any other ending
    // (a limit, a cancel, a failure) may leave a program running: it is stopped at once, as before.
    const destroy = () => this.#h.onDestroy(sandbox.destroy());
    const programEnded = code !== null;
    if (!programEnded) destroy();
    this.#output.end();
    this.#h.resolve(
      buildResult({
        ending,
        usage,
        cpuAtStart: this.#h.cpuAtStart,
        startedAtMs: this.#h.startedAtMs,
        endedAtMs,
        finishedAtMs: now(),
        output: this.#output,
      }),
    );
    if (programEnded) setImmediate(destroy);
  }
}
