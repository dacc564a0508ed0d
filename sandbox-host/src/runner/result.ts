/** Building a run's result from what ended it, the container's exit and its cgroup accounting. */
import { constants } from 'node:os';
import type { RunResult, RunStatus } from '@airlock/protocol';
import type { CgroupUsage } from '../docker/cgroup.ts';
import type { OutputAccount } from './output.ts';

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export interface Ending {
  status: RunStatus;
  exitCode: number | null;
  oomKilled: boolean;
}

export interface ResultInput {
  ending: Ending;
  usage: CgroupUsage;
  cpuAtStart: number | null;
  startedAtMs: number;
  endedAtMs: number;
  finishedAtMs: number;
  output: OutputAccount;
}

/** `succeeded`/`failed` are refined by the exit code and the cgroup's OOM count; other statuses stand. */
export function finalStatus(ending: Ending, usage: CgroupUsage): RunStatus {
  if (ending.status !== 'succeeded' && ending.status !== 'failed') return ending.status;
  if (ending.oomKilled || (usage.oomKills ?? 0) > 0) return 'oom_killed';
  return ending.exitCode === 0 ? 'succeeded' : 'failed';
}

export function buildResult(r: ResultInput): RunResult {
  const { exitCode } = r.ending;
  return {
    status: finalStatus(r.ending, r.usage),
    exitCode,
    signal: exitCode !== null && exitCode > 128 ? (SIGNAL_NAMES.get(exitCode - 128) ?? null) : null,
    ...r.output.result(),
    wallMs: r.endedAtMs - r.startedAtMs,
    cpuMs:
      r.usage.cpuNs !== null && r.cpuAtStart !== null
        ? Math.max(0, (r.usage.cpuNs - r.cpuAtStart) / 1e6)
        : null,
    peakMemoryBytes: r.usage.peakMemoryBytes,
    startedAt: new Date(r.startedAtMs).toISOString(),
    finishedAt: new Date(r.finishedAtMs).toISOString(),
  };
}
