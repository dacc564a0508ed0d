import { type RunResult, RunStatusSchema } from '@airlock/protocol';
import type { RunRow } from '../../repositories/runs.ts';

/**
 * The run as clients see it (GET /v1/runs/{id}, list items, `wait: true` answers): the result fields
 * of DESIGN.md plus id, language and timestamps, times as ISO 8601. The host id stays internal.
 */
export interface RunView {
  id: string;
  language: string;
  status: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string | null;
  stderr: string | null;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  wallMs: number | null;
  cpuMs: number | null;
  peakMemoryBytes: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function runView(row: RunRow, options: { output?: boolean } = {}): RunView {
  const output = options.output ?? true;
  return {
    id: row.id,
    language: row.language,
    status: row.status,
    exitCode: row.exitCode,
    signal: row.signal,
    stdout: output ? row.stdout : null,
    stderr: output ? row.stderr : null,
    stdoutTruncated: row.stdoutTruncated,
    stderrTruncated: row.stderrTruncated,
    wallMs: row.wallMs,
    cpuMs: row.cpuMs,
    peakMemoryBytes: row.peakMemoryBytes,
    createdAt: iso(row.createdAt) as string,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}

/** The stored final result of a run, or undefined while it is still in progress. */
export function rowToResult(row: RunRow): RunResult | undefined {
  const status = RunStatusSchema.safeParse(row.status);
  if (!status.success || row.finishedAt === null) return undefined;
  return {
    status: status.data,
    exitCode: row.exitCode,
    signal: row.signal,
    stdout: row.stdout ?? '',
    stderr: row.stderr ?? '',
    stdoutTruncated: row.stdoutTruncated,
    stderrTruncated: row.stderrTruncated,
    wallMs: row.wallMs ?? 0,
    cpuMs: row.cpuMs,
    peakMemoryBytes: row.peakMemoryBytes,
    startedAt: new Date(row.startedAt ?? row.createdAt).toISOString(),
    finishedAt: new Date(row.finishedAt).toISOString(),
  };
}

/** The view of a run that just ended, from the result its session wrote to D1 (identical fields). */
export function resultView(
  run: { id: string; language: string; createdAt: number },
  result: RunResult,
): RunView {
  return {
    id: run.id,
    language: run.language,
    status: result.status,
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
    stdoutTruncated: result.stdoutTruncated,
    stderrTruncated: result.stderrTruncated,
    wallMs: result.wallMs,
    cpuMs: result.cpuMs,
    peakMemoryBytes: result.peakMemoryBytes,
    createdAt: new Date(run.createdAt).toISOString(),
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
  };
}
