import { pickRunOutcome, type RunOutcome, type RunResult, RunStatusSchema } from '@airlock/protocol';
import type { RunRow } from '../../repositories/runs.ts';

/**
 * The run as clients see it (GET /v1/runs/{id}, list items, `wait: true` answers): the result fields
 * of DESIGN.md (the protocol's, under the same names) plus id, language and timestamps, times as ISO
 * 8601. The host id stays internal. While a run is in progress its output and wall time are null.
 */
export type RunView = {
  id: string;
  language: string;
  /** A final status, or `queued` / `running`. */
  status: string;
} & Omit<RunOutcome, 'stdout' | 'stderr' | 'wallMs'> & {
    stdout: string | null;
    stderr: string | null;
    wallMs: number | null;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
  };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function runView(row: RunRow, options: { output?: boolean } = {}): RunView {
  const output = options.output ?? true;
  return {
    id: row.id,
    language: row.language,
    status: row.status,
    ...pickRunOutcome(row),
    stdout: output ? row.stdout : null,
    stderr: output ? row.stderr : null,
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
    ...pickRunOutcome(row),
    stdout: row.stdout ?? '',
    stderr: row.stderr ?? '',
    wallMs: row.wallMs ?? 0,
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
    ...pickRunOutcome(result),
    createdAt: new Date(run.createdAt).toISOString(),
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
  };
}
