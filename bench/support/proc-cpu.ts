/**
 * CPU time used so far, read from /proc and the cgroup tree (Linux): by the whole machine, by some
 * processes, by a cgroup. A bench takes two snapshots and divides the difference by the wall time to
 * say who used the cores during a phase. Processes that exited in between are lost (their time goes to
 * whoever reaps them), which is why the machine's total is printed beside the parts.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's counters (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

const ticksToMs = (ticks: number) => (ticks * 1000) / USER_HZ;

/** Busy CPU time of the whole machine (every core): /proc/stat's first line minus idle and iowait. */
export function machineCpuMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ticksToMs((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0));
}

/** The fields of /proc/<pid>/stat after the command (which may contain spaces), or undefined if gone. */
function statFields(pid: number): { command: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return {
      command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      fields: stat.slice(stat.lastIndexOf(')') + 2).split(' '),
    };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) used so far by these processes. */
export function processCpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = statFields(pid);
    // utime and stime are fields 14 and 15 of proc(5); here indices 11 and 12.
    if (stat) ticks += Number(stat.fields[11]) + Number(stat.fields[12]);
  }
  return ticksToMs(ticks);
}

/** Processes whose command starts with `prefix`, optionally only those of one process group. */
export function pidsByCommand(prefix: string, processGroup?: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statFields(Number(entry));
    if (!stat?.command.startsWith(prefix)) continue;
    if (processGroup !== undefined && Number(stat.fields[2]) !== processGroup) continue;
    pids.push(Number(entry));
  }
  return pids;
}

/** A pid from a pid file, or undefined. */
export function pidFromFile(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time used so far by a cgroup and its children: cgroup v1 `cpuacct/<path>/cpuacct.usage` (ns) or
 * v2 `<path>/cpu.stat` usage_usec; undefined if neither exists.
 */
export function cgroupCpuMs(path: string, root = '/sys/fs/cgroup'): number | undefined {
  try {
    return Number(readFileSync(`${root}/cpuacct/${path}/cpuacct.usage`, 'utf8')) / 1e6;
  } catch {
    // Not cgroup v1.
  }
  try {
    const stat = readFileSync(`${root}/${path}/cpu.stat`, 'utf8');
    const usec = /^usage_usec (\d+)$/m.exec(stat)?.[1];
    return usec === undefined ? undefined : Number(usec) / 1000;
  } catch {
    return undefined;
  }
}

/**
 * CFS bandwidth throttling of a cgroup so far (its `cpu.stat`, v1 `cpu/<path>` or v2 `<path>`): periods,
 * periods in which it ran out of quota, and the time its tasks waited for the next period (ms).
 */
export function cgroupThrottling(
  path: string,
  root = '/sys/fs/cgroup',
): { periods: number; throttled: number; throttledMs: number } | undefined {
  for (const [file, timeKey, toMs] of [
    [`${root}/cpu/${path}/cpu.stat`, 'throttled_time', 1e-6],
    [`${root}/${path}/cpu.stat`, 'throttled_usec', 1e-3],
  ] as const) {
    try {
      const stat = readFileSync(file, 'utf8');
      const get = (key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
      return { periods: get('nr_periods'), throttled: get('nr_throttled'), throttledMs: get(timeKey) * toMs };
    } catch {
      // Not this layout.
    }
  }
  return undefined;
}
