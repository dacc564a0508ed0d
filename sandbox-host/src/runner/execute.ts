/**
 * Executes one run on a pre-started sandbox: streams the input in, relays output as it comes, enforces
 * the compile and run time limits and the output cap, and builds the result from the wrapper's markers
 * and the container's cgroup. The container is destroyed as soon as the result is known.
 */
import { constants } from 'node:os';
import type { RunRequest, RunResult, RunStatus } from '@airlock/protocol';
import { LIMITS } from '@airlock/protocol';
import type { CgroupReader } from '../docker/cgroup.ts';
import type { Sandbox } from '../docker/sandbox.ts';
import type { Marker, StreamName } from '../docker/stream.ts';
import { GO_LINE, wrapperHeader } from '../docker/wrapper.ts';
import type { RuntimeManifest } from '../images/manifest.ts';
import { packFiles } from './tar.ts';

export interface RunSink {
  started(startedAt: string): void;
  output(stream: StreamName, text: string): void;
}

export interface ExecuteInput {
  sandbox: Sandbox;
  manifest: RuntimeManifest;
  request: RunRequest;
  timeoutMs: number;
  memoryMb: number;
  compileTimeoutMs: number;
  maxOutputBytes: number;
  cgroup: CgroupReader;
  now: () => number;
}

export interface Execution {
  result: Promise<RunResult>;
  /** Settles when the container is gone. */
  cleanup: Promise<void>;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

class StreamState {
  bytes = 0;
  truncated = false;
  text = '';
  readonly decoder = new TextDecoder('utf-8');
  marker: Record<Marker['phase'], number | null> = { C: null, R: null };
}

export function executeRun(input: ExecuteInput, sink: RunSink, signal: AbortSignal): Execution {
  let resolveCleanup: () => void = () => undefined;
  const cleanup = new Promise<void>((r) => {
    resolveCleanup = r;
  });
  const result = run(input, sink, signal, (p) => {
    p.then(resolveCleanup, resolveCleanup);
  });
  return { result, cleanup };
}

async function run(
  input: ExecuteInput,
  sink: RunSink,
  signal: AbortSignal,
  onDestroy: (p: Promise<void>) => void,
): Promise<RunResult> {
  const { sandbox, manifest, request, now } = input;
  const streams = { stdout: new StreamState(), stderr: new StreamState() };
  const files = request.files ?? [{ name: manifest.fileName, content: request.code ?? '' }];
  const tar = await packFiles(files);
  const args = (request.args ?? []).map((a) => Buffer.from(a, 'utf8'));
  const stdin = Buffer.from(request.stdin ?? '', 'utf8');
  const compiled = manifest.compile !== undefined;

  if (!compiled) await sandbox.setMemory(input.memoryMb);
  const cpuAtStart = await input.cgroup.mark(sandbox.id);
  const t0 = now();
  const startedAt = new Date(t0).toISOString();
  sink.started(startedAt);

  return new Promise<RunResult>((resolve) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;

    const emit = (name: StreamName, data: Buffer) => {
      const s = streams[name];
      if (done || s.truncated) return;
      let piece = data;
      const room = input.maxOutputBytes - s.bytes;
      if (piece.length > room) {
        piece = piece.subarray(0, room);
        s.truncated = true;
      }
      s.bytes += piece.length;
      for (let i = 0; i < piece.length; i += LIMITS.outputChunkBytes) {
        const text = s.decoder.decode(piece.subarray(i, i + LIMITS.outputChunkBytes), { stream: true });
        if (text.length > 0) {
          s.text += text;
          sink.output(name, text);
        }
      }
      if (s.truncated) void finish('output_limited', null);
    };

    const finish = async (status: RunStatus, code: number | null, fromExit = false): Promise<void> => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      const wallMs = now() - t0;
      const usage = await input.cgroup.read(sandbox.id);
      let exitCode = code;
      let oom = (usage.oomKills ?? 0) > 0;
      if (fromExit) {
        const exit = await sandbox.inspectExit();
        exitCode = exit.exitCode;
        oom ||= exit.oomKilled;
      }
      onDestroy(sandbox.destroy());
      for (const name of ['stdout', 'stderr'] as const) {
        const tail = streams[name].decoder.decode();
        if (tail) {
          streams[name].text += tail;
          sink.output(name, tail);
        }
      }
      let finalStatus = status;
      if (status === 'succeeded' || status === 'failed') {
        finalStatus = oom ? 'oom_killed' : exitCode === 0 ? 'succeeded' : 'failed';
      }
      const sig = exitCode !== null && exitCode > 128 ? (SIGNAL_NAMES.get(exitCode - 128) ?? null) : null;
      resolve({
        status: finalStatus,
        exitCode,
        signal: sig,
        stdout: streams.stdout.text,
        stderr: streams.stderr.text,
        stdoutTruncated: streams.stdout.truncated,
        stderrTruncated: streams.stderr.truncated,
        wallMs,
        cpuMs:
          usage.cpuNs !== null && cpuAtStart !== null ? Math.max(0, (usage.cpuNs - cpuAtStart) / 1e6) : null,
        peakMemoryBytes: usage.peakMemoryBytes,
        startedAt,
        finishedAt: new Date(now()).toISOString(),
      });
    };

    const onAbort = () => void finish('cancelled', null);
    if (signal.aborted) {
      void finish('cancelled', null);
      return;
    }
    signal.addEventListener('abort', onAbort);

    const startRunPhase = () => {
      timer = setTimeout(() => void finish('timed_out', null), input.timeoutMs);
    };

    const onCompiled = async (code: number) => {
      if (code !== 0) {
        void finish('compile_failed', code);
        return;
      }
      try {
        await sandbox.setMemory(input.memoryMb);
      } catch {
        void finish('failed', null);
        return;
      }
      if (done) return;
      if (timer) clearTimeout(timer);
      startRunPhase();
      sandbox.write(GO_LINE);
      if (stdin.length > 0) sandbox.write(stdin);
      sandbox.endInput();
    };

    sandbox.listen({
      output: emit,
      marker(name, marker) {
        streams[name].marker[marker.phase] = marker.code;
        const other = streams[name === 'stdout' ? 'stderr' : 'stdout'].marker[marker.phase];
        if (other === null) return;
        if (marker.phase === 'C') void onCompiled(marker.code);
        else void finish('succeeded', marker.code);
      },
      end() {
        void finish('failed', null, true);
      },
    });

    sandbox.write(
      wrapperHeader(
        sandbox.nonce,
        tar.length,
        args.map((a) => a.length),
      ),
    );
    sandbox.write(tar);
    for (const a of args) sandbox.write(a);
    if (compiled) {
      timer = setTimeout(() => {
        streams.stderr.text += `airlock: compilation exceeded ${input.compileTimeoutMs} ms\n`;
        void finish('compile_failed', null);
      }, input.compileTimeoutMs);
    } else {
      startRunPhase();
      if (stdin.length > 0) sandbox.write(stdin);
      sandbox.endInput();
    }
  });
}
