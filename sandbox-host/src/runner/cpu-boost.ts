/**
 * Interactive boost: a run keeps the default CPU weight until it has used RUN_CPU_BOOST_MS of CPU time,
 * then its cgroup's weight drops to an eighth (docker/cgroup.ts LOWERED_CPU_WEIGHT). A fresh short run
 * (a hello world) thus gets most of a contended core against long CPU burners, while a burner alone
 * still gets all of its limit (weights only matter under contention). The measure is CPU time, not wall
 * time, so a run that sleeps or waits on I/O is never lowered.
 *
 * One timer per run, no polling loop: the next check is due no sooner than the run could reach the
 * threshold at its CPU limit (`left / cpus`), so a sleeper costs one counter read every
 * RUN_CPU_BOOST_MS / RUN_CPUS of wall time, and a burner two or three reads in all.
 */
import type { CgroupReader } from '../docker/cgroup.ts';

interface BoostInput {
  cgroup: CgroupReader;
  containerId: string;
  /** The CPU counter at handover (ns); null when the host has no accounting (nothing to do). */
  cpuAtStart: number | null;
  /** CPU time a run may use at the default weight. */
  boostMs: number;
  /** The run's CPU limit in cores (RUN_CPUS). */
  cpus: number;
  onError: (err: unknown) => void;
}

/** The shortest wait between checks, so a near-threshold run is not re-read in a tight loop. */
const MIN_CHECK_MS = 20;

/** Starts watching; the returned function stops it (at the run's end). */
export function boostWhileShort(input: BoostInput): () => void {
  const { cgroup, containerId, cpuAtStart, boostMs, cpus } = input;
  if (cpuAtStart === null) return () => undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (cpuLeftMs: number) => {
    timer = setTimeout(() => void check(), Math.max(MIN_CHECK_MS, cpuLeftMs / cpus));
  };
  const check = async () => {
    try {
      const now = await cgroup.cpuNs(containerId);
      if (stopped || now === null) return;
      const leftMs = boostMs - (now - cpuAtStart) / 1e6;
      if (leftMs > 0) {
        schedule(leftMs);
        return;
      }
      await cgroup.lowerCpuWeight(containerId);
    } catch (err) {
      if (!stopped) input.onError(err);
    }
  };
  schedule(boostMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
