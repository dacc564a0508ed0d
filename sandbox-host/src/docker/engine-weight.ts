/**
 * The engine's CPU weight, as a container's shim has it. Starting and removing a container costs ~0.2 s
 * of CPU in the engine's containerd, the container's shim and runc; neighbours looping short runs keep
 * them busy, and at an ordinary process's weight they held a starting hello world's program runnable
 * but off every core for up to half a second (docs/sandbox-host.md, "The engine's weight").
 * scripts/docker-engine.sh puts containerd, and with it every shim and runc it starts, in a cgroup of
 * AIRLOCK_ENGINE_CPU_WEIGHT (a quarter of an ordinary process's). The host cannot set it from its
 * container, and an operator's engine is the operator's to set (systemd: containerd.service's
 * CPUWeight). Read here from a container's shim: by the noisy-neighbour bench, which prints it, and by
 * the tests, which check this machine's set-up.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupLayout } from './cgroup.ts';

/** The CPU weight of an ordinary process's cgroup, in cgroup v2 units (v1: 1024 shares). */
export const ORDINARY_CPU_WEIGHT = 100;

export interface EngineWeight {
  /** The shim's cgroup in the cpu controller (e.g. `/airlock-engine`). */
  cgroup: string;
  /** Its CPU weight in cgroup v2 units (100: an ordinary process's). */
  weight: number;
}

/** The cpu controller's path in a /proc/<pid>/cgroup text: the v1 line naming `cpu`, or the v2 line. */
export function cpuCgroupPath(procCgroup: string, layout: 'v1' | 'v2'): string | null {
  for (const line of procCgroup.split('\n')) {
    // "<id>:<controllers>:<path>"; the path may itself hold colons.
    const [id, controllers, ...rest] = line.split(':');
    if (rest.length === 0) continue;
    const path = rest.join(':');
    if (layout === 'v1' && controllers?.split(',').includes('cpu')) return path;
    if (layout === 'v2' && id === '0' && controllers === '') return path;
  }
  return null;
}

/** v1's cpu.shares in v2 units, as the kernel maps them (1024 shares: weight 100). */
export const sharesToWeight = (shares: number) => Math.round((shares * ORDINARY_CPU_WEIGHT) / 1024);

/** The parent process id in a /proc/<pid>/status text. */
export function parentPid(status: string): number | null {
  const m = /^PPid:\s+(\d+)$/m.exec(status);
  return m?.[1] ? Number(m[1]) : null;
}

/**
 * The cgroup and CPU weight of the shim whose container's first process is `containerPid` (the
 * engine's State.Pid): that process's parent. Null when /proc or the tree does not show it (the host
 * in a container of its own sees neither).
 */
export async function readShimCpuWeight(
  containerPid: number,
  layout: CgroupLayout,
  root: string,
): Promise<EngineWeight | null> {
  const status = containerPid > 0 ? await readOrNull(`/proc/${containerPid}/status`) : null;
  const shim = status === null ? null : parentPid(status);
  return shim === null ? null : readProcessCpuWeight(shim, layout, root);
}

/** The cgroup and CPU weight of a process (containerd's, for the bench). */
export async function readProcessCpuWeight(
  pid: number,
  layout: CgroupLayout,
  root: string,
): Promise<EngineWeight | null> {
  if (layout === 'none') return null;
  const own = await readOrNull(`/proc/${pid}/cgroup`);
  const cgroup = own === null ? null : cpuCgroupPath(own, layout);
  if (cgroup === null) return null;
  const file = layout === 'v1' ? join(root, 'cpu', cgroup, 'cpu.shares') : join(root, cgroup, 'cpu.weight');
  const text = await readOrNull(file);
  // The root cgroup has no weight file: its processes weigh as ordinary ones.
  if (text === null) return cgroup === '/' ? { cgroup, weight: ORDINARY_CPU_WEIGHT } : null;
  const n = Number(text.trim());
  if (!Number.isFinite(n)) return null;
  return { cgroup, weight: layout === 'v1' ? sharesToWeight(n) : n };
}

const readOrNull = (path: string) => readFile(path, 'utf8').catch(() => null);
