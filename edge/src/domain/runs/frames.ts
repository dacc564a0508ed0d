import {
  emptyRunResult,
  type ErrorCode as HostErrorCode,
  type HostMessage,
  type RunResult,
  type RunStatus,
} from '@airlock/protocol';
import { FIXED } from '../../limits.ts';

/**
 * Frames the edge sends to stream clients: the host's frame shapes (@airlock/protocol), renumbered with the
 * edge's own per-run `seq` so that frames the edge adds itself (a `host_lost` result, say) sit in the
 * same sequence a reconnecting client resumes with `?from=SEQ`. The last frame of every run is `exit`
 * with the result, whatever went wrong; `error` frames only ever precede it.
 */
export type StreamFrame =
  | { type: 'started'; seq: number; runId: string; startedAt: string }
  | { type: 'stdout' | 'stderr'; seq: number; runId: string; data: string }
  | { type: 'exit'; seq: number; runId: string; result: RunResult }
  | { type: 'error'; seq: number; runId: string; code: string; message: string };

type Unsequenced<T> = T extends unknown ? Omit<T, 'seq' | 'runId'> : never;
export type StreamFrameBody = Unsequenced<StreamFrame>;

/** What a host frame means for the run: relay something, finish it, or fail it. */
export type HostEvent =
  | { kind: 'accepted' }
  | { kind: 'frame'; frame: StreamFrameBody }
  | { kind: 'exit'; result: RunResult }
  | { kind: 'error'; code: HostErrorCode; message: string };

export function interpretHostMessage(message: HostMessage): HostEvent {
  switch (message.type) {
    case 'accepted':
      return { kind: 'accepted' };
    case 'started':
      return { kind: 'frame', frame: { type: 'started', startedAt: message.startedAt } };
    case 'stdout':
    case 'stderr':
      return { kind: 'frame', frame: { type: message.type, data: message.data } };
    case 'exit':
      return { kind: 'exit', result: message.result };
    case 'error':
      return { kind: 'error', code: message.code, message: message.message };
  }
}

/** Host errors that mean "try another host" rather than "this run failed". */
export function isRetryableHostError(code: HostErrorCode): boolean {
  return code === 'capacity' || code === 'shutting_down';
}

/**
 * The result of a run the edge ends itself (no host, host lost, a mounted file gone). Output streamed before the loss is
 * kept, so the result matches what clients saw.
 */
export function edgeResult(
  status: Extract<RunStatus, 'sandbox_unavailable' | 'host_lost' | 'cancelled' | 'file_missing'>,
  input: { startedAt: number | null; now: number; stdout: string; stderr: string },
): RunResult {
  const started = input.startedAt ?? input.now;
  return {
    ...emptyRunResult(status, new Date(input.now).toISOString()),
    stdout: input.stdout,
    stderr: input.stderr,
    wallMs: Math.max(0, input.now - started),
    startedAt: new Date(started).toISOString(),
  };
}

/**
 * D1 holds at most 2,000,000 bytes in one row; two full 1 MiB streams would not fit. The stored (and
 * so the announced) result keeps at most `budget` bytes of output, stderr giving way first, with the
 * truncation flags set: what clients are told is exactly what D1 holds.
 */
export function fitForStorage(input: RunResult, budget: number = FIXED.storedOutputBudgetBytes): RunResult {
  const result = normalize(input);
  const enc = new TextEncoder();
  const out = enc.encode(result.stdout);
  const err = enc.encode(result.stderr);
  if (out.byteLength + err.byteLength <= budget) return result;
  const errKeep = Math.min(err.byteLength, Math.max(Math.floor(budget / 4), budget - out.byteLength));
  const outKeep = Math.min(out.byteLength, budget - errKeep);
  const cut = (bytes: Uint8Array, n: number) =>
    new TextDecoder().decode(bytes.subarray(0, n)).replace(/\uFFFD$/, '');
  return {
    ...result,
    stdout: cut(out, outKeep),
    stderr: cut(err, errKeep),
    stdoutTruncated: result.stdoutTruncated || outKeep < out.byteLength,
    stderrTruncated: result.stderrTruncated || errKeep < err.byteLength,
  };
}

/** D1 keeps whole milliseconds: the announced result is rounded the same way, so the two agree. */
function normalize(result: RunResult): RunResult {
  const iso = (text: string) => {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? new Date(0).toISOString() : new Date(ms).toISOString();
  };
  return {
    ...result,
    wallMs: Math.round(result.wallMs),
    cpuMs: result.cpuMs === null ? null : Math.round(result.cpuMs),
    startedAt: iso(result.startedAt),
    finishedAt: iso(result.finishedAt),
  };
}
