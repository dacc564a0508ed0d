/**
 * Reads a container's resource accounting straight from its cgroup (v1, cgroupfs driver: the layout on
 * our hosts): CPU time, peak memory and OOM kills. Faster than the Engine's stats endpoint and not
 * influenced by anything inside the container. Missing files (another layout) yield nulls, never errors.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CgroupUsage {
  cpuNs: number | null;
  peakMemoryBytes: number | null;
  oomKills: number | null;
}

export interface CgroupReader {
  /** Resets the peak-memory watermark and returns the CPU counter (called at handover). */
  mark(containerId: string): Promise<number | null>;
  read(containerId: string): Promise<CgroupUsage>;
}

async function readNumber(path: string): Promise<number | null> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

export function cgroupV1Reader(root: string, parent: string): CgroupReader {
  const dir = (controller: string, id: string) => join(root, controller, parent, id);
  return {
    async mark(id) {
      try {
        await writeFile(join(dir('memory', id), 'memory.max_usage_in_bytes'), '0');
      } catch {
        // not cgroup v1: the peak then includes the idle wrapper, which is small
      }
      return readNumber(join(dir('cpuacct', id), 'cpuacct.usage'));
    },
    async read(id) {
      const [cpuNs, peakMemoryBytes, oomControl] = await Promise.all([
        readNumber(join(dir('cpuacct', id), 'cpuacct.usage')),
        readNumber(join(dir('memory', id), 'memory.max_usage_in_bytes')),
        readFile(join(dir('memory', id), 'memory.oom_control'), 'utf8').catch(() => null),
      ]);
      const oom = oomControl ? /oom_kill (\d+)/.exec(oomControl) : null;
      return { cpuNs, peakMemoryBytes, oomKills: oom?.[1] ? Number(oom[1]) : null };
    },
  };
}
