/**
 * Reads a container's resource accounting straight from its cgroup: CPU time, peak memory and OOM kills.
 * Faster than the Engine's stats endpoint and not influenced by anything inside the container. Both
 * layouts are read: cgroup v1 (one tree per controller) and v2 (the unified tree every current
 * distribution uses); the host picks one at start from what it finds under CGROUP_ROOT. Missing files
 * yield nulls, never errors.
 */
import type { FileHandle } from 'node:fs/promises';
import { access, constants, open, readFile, writeFile } from 'node:fs/promises';
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
  /** The CPU counter alone (ns), for the interactive boost's checks. */
  cpuNs(containerId: string): Promise<number | null>;
  /** Lowers the container's CPU weight to `LOWERED_CPU_WEIGHT` of the default (runner/cpu-boost.ts). */
  lowerCpuWeight(containerId: string): Promise<void>;
  /**
   * Sets the container's memory limit (and no swap) in its cgroup. For gVisor, whose 2022 runsc has no
   * `update` command, so the engine's container update fails there (docker/sandbox.ts); throws when
   * the limit cannot be written, so a run never goes on with more memory than it was admitted with.
   */
  setMemoryLimit(containerId: string, bytes: number): Promise<void>;
}

/** A long run's share of the default CPU weight: 1/8 (v1 cpu.shares 1024 → 128; v2 cpu.weight 100 → 12). */
export const LOWERED_CPU_WEIGHT = { v1Shares: 128, v2Weight: 12 } as const;

export type CgroupLayout = 'v1' | 'v2' | 'none';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** v2 has `cgroup.controllers` at its root; v1 (or hybrid) has one directory per controller. */
export async function detectCgroupLayout(root: string): Promise<CgroupLayout> {
  if (await exists(join(root, 'cgroup.controllers'))) return 'v2';
  if ((await exists(join(root, 'memory'))) && (await exists(join(root, 'cpuacct')))) return 'v1';
  return 'none';
}

/**
 * Whether the peak-memory watermark can be reset at handover: the sandboxes' cgroup directory must be
 * writable (a read-only mount of the tree, as in a container that mounts /sys/fs/cgroup `:ro` on a v2
 * host, makes every reset fail and the peak then includes the idle container before the run).
 */
export async function canResetPeak(layout: CgroupLayout, root: string, parent: string): Promise<boolean> {
  if (layout === 'none') return false;
  const dir = layout === 'v1' ? join(root, 'memory', parent) : join(root, parent);
  return access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
}

export function cgroupReaderFor(layout: CgroupLayout, root: string, parent: string): CgroupReader {
  if (layout === 'v1') return cgroupV1Reader(root, parent);
  if (layout === 'v2') return cgroupV2Reader(root, parent);
  return {
    mark: async () => null,
    read: async () => ({ cpuNs: null, peakMemoryBytes: null, oomKills: null }),
    cpuNs: async () => null,
    lowerCpuWeight: async () => undefined,
    setMemoryLimit: async () => {
      throw new Error('no cgroup tree: the memory limit cannot be changed');
    },
  };
}

async function readNumber(path: string): Promise<number | null> {
  try {
    return parseNumber(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}

function parseNumber(text: string): number | null {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) ? n : null;
}

/** A `key value` line of a flat-keyed file (cpu.stat, memory.events). */
function keyed(text: string | null, key: string): number | null {
  if (text === null) return null;
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m?.[1] ? Number(m[1]) : null;
}

function cgroupV1Reader(root: string, parent: string): CgroupReader {
  const dir = (controller: string, id: string) => join(root, controller, parent, id);
  return {
    async mark(id) {
      try {
        await writeFile(join(dir('memory', id), 'memory.max_usage_in_bytes'), '0');
      } catch {
        // a read-only cgroup mount: the peak then includes the idle wrapper, which is small
      }
      return readNumber(join(dir('cpuacct', id), 'cpuacct.usage'));
    },
    async read(id) {
      const [cpuNs, peakMemoryBytes, oomControl] = await Promise.all([
        readNumber(join(dir('cpuacct', id), 'cpuacct.usage')),
        readNumber(join(dir('memory', id), 'memory.max_usage_in_bytes')),
        readFile(join(dir('memory', id), 'memory.oom_control'), 'utf8').catch(() => null),
      ]);
      return { cpuNs, peakMemoryBytes, oomKills: keyed(oomControl, 'oom_kill') };
    },
    cpuNs: (id) => readNumber(join(dir('cpuacct', id), 'cpuacct.usage')),
    async lowerCpuWeight(id) {
      await writeFile(join(dir('cpu', id), 'cpu.shares'), String(LOWERED_CPU_WEIGHT.v1Shares));
    },
    async setMemoryLimit(id, bytes) {
      // The kernel keeps memory <= memory+swap at every step: lower memory first, raise memsw first.
      const memory = join(dir('memory', id), 'memory.limit_in_bytes');
      const memsw = join(dir('memory', id), 'memory.memsw.limit_in_bytes');
      const current = await readNumber(memory);
      const order = current !== null && bytes < current ? [memory, memsw] : [memsw, memory];
      for (const file of order) {
        // Without swap accounting (no memsw file) memory alone is the limit, as with runc.
        if (file === memsw && !(await exists(memsw))) continue;
        await writeFile(file, String(bytes));
      }
    },
  };
}

/**
 * cgroup v2. The container's directory is `<parent>/<id>` (cgroupfs driver) or, under a systemd slice,
 * `<parent>/docker-<id>.scope`. memory.peak can be reset (Linux 6.12+) only for reads through the SAME
 * open file, so mark() keeps that file open until read(); older kernels refuse the write and the peak
 * then covers the container's whole life (the idle wrapper is small).
 */
function cgroupV2Reader(root: string, parent: string): CgroupReader {
  const dir = (id: string) => join(root, parent, parent.endsWith('.slice') ? `docker-${id}.scope` : id);
  const peakFiles = new Map<string, FileHandle>();
  const cpuNs = async (id: string) => {
    const usec = keyed(await readFile(join(dir(id), 'cpu.stat'), 'utf8').catch(() => null), 'usage_usec');
    return usec === null ? null : usec * 1000;
  };
  const readPeak = async (id: string): Promise<number | null> => {
    const handle = peakFiles.get(id);
    if (!handle) return readNumber(join(dir(id), 'memory.peak'));
    peakFiles.delete(id);
    try {
      const buf = Buffer.alloc(64);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return parseNumber(buf.subarray(0, bytesRead).toString('utf8'));
    } catch {
      return null;
    } finally {
      await handle.close().catch(() => undefined);
    }
  };
  return {
    async mark(id) {
      await peakFiles
        .get(id)
        ?.close()
        .catch(() => undefined);
      peakFiles.delete(id);
      try {
        const handle = await open(join(dir(id), 'memory.peak'), 'r+');
        try {
          await handle.write('reset\n', 0);
          peakFiles.set(id, handle);
        } catch {
          await handle.close();
        }
      } catch {
        // no memory.peak (Linux < 5.19) or a read-only mount: read() falls back to the whole life
      }
      return cpuNs(id);
    },
    async read(id) {
      const [cpu, peakMemoryBytes, events] = await Promise.all([
        cpuNs(id),
        readPeak(id),
        readFile(join(dir(id), 'memory.events'), 'utf8').catch(() => null),
      ]);
      return { cpuNs: cpu, peakMemoryBytes, oomKills: keyed(events, 'oom_kill') };
    },
    cpuNs,
    async lowerCpuWeight(id) {
      await writeFile(join(dir(id), 'cpu.weight'), String(LOWERED_CPU_WEIGHT.v2Weight));
    },
    async setMemoryLimit(id, bytes) {
      // v2 limits memory and swap separately: memory.max is the limit, and no swap at all.
      await writeFile(join(dir(id), 'memory.max'), String(bytes));
      if (await exists(join(dir(id), 'memory.swap.max')))
        await writeFile(join(dir(id), 'memory.swap.max'), '0');
    },
  };
}
