/**
 * Facts about the machine that the admission budgets default from: its memory, the kernel's process
 * limits and its cores. Read once at start; tests pass their own facts.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

export interface MachineFacts {
  totalMemoryMb: number;
  /** The kernel's ceiling on tasks (min of pid_max and threads-max). */
  maxTasks: number;
  /** Cores this process may use (the sandboxes' CPU cap defaults from it). */
  cpuCores: number;
}

/** Memory kept for the kernel, the engine, this process and the warm pool: 10 %, at least 1 GiB. */
const MEMORY_HEADROOM_FRACTION = 0.1;
const MIN_MEMORY_HEADROOM_MB = 1024;
/** Sandboxes may hold half of the kernel's tasks; the rest is the machine's own. */
const PIDS_FRACTION = 0.5;
const FALLBACK_MAX_TASKS = 32_768;
/** Cores kept out of the sandboxes' reach for this process, the engine and the system. */
const CPU_RESERVE_CORES = 0.5;

export function readMachineFacts(): MachineFacts {
  const read = (path: string) => {
    try {
      const n = Number(readFileSync(path, 'utf8').trim());
      return Number.isFinite(n) && n > 0 ? n : FALLBACK_MAX_TASKS;
    } catch {
      return FALLBACK_MAX_TASKS;
    }
  };
  return {
    totalMemoryMb: Math.floor(totalmem() / (1024 * 1024)),
    maxTasks: Math.min(read('/proc/sys/kernel/pid_max'), read('/proc/sys/kernel/threads-max')),
    cpuCores: availableParallelism(),
  };
}

/** All sandboxes together: the cores minus the reserve, and never less than one run's limit. */
export function defaultSandboxCpus(m: MachineFacts, runCpus: number): number {
  return Math.max(runCpus, m.cpuCores - CPU_RESERVE_CORES);
}

export function defaultBudgets(m: MachineFacts): { memoryMb: number; pids: number } {
  const headroom = Math.max(MIN_MEMORY_HEADROOM_MB, Math.ceil(m.totalMemoryMb * MEMORY_HEADROOM_FRACTION));
  return {
    memoryMb: Math.max(64, m.totalMemoryMb - headroom),
    pids: Math.max(10, Math.floor(m.maxTasks * PIDS_FRACTION)),
  };
}
