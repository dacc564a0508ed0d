/**
 * The parent cgroup every sandbox container is created under (HostConfig.CgroupParent), capped at
 * HOST_SANDBOX_CPUS cores. However many sandboxes burn CPU, the rest of the machine's cores stay for the
 * host process, the engine (which creates and removes containers: a new run needs it) and the system.
 * Each sandbox keeps its own limit (RUN_CPUS) inside the cap; the kernel's CFS shares the cap among
 * the runnable sandboxes by their weights (runner/cpu-boost.ts lowers a long run's).
 *
 * Where the cap is written depends on the engine's cgroup driver and the kernel's layout:
 * - cgroupfs driver: the host creates `<root>/cpu/<parent>` (v1) or `<root>/<parent>` (v2) and writes
 *   the period and quota (cpu.cfs_period_us and cpu.cfs_quota_us, cpu.max); the engine creates the
 *   containers' cgroups below it.
 * - systemd driver: the parent is a slice, which systemd owns: the host asks systemd for the quota
 *   (`systemctl set-property --runtime <slice> CPUQuota=<n>% CPUQuotaPeriodSec=<ms>ms`, an argument array).
 * A cap that cannot be applied (read-only cgroup mount, no permission) is reported, not fatal: the
 * sandboxes then run uncapped, as before, each within its own limit.
 *
 * The parent is also made an idle group (applySandboxCpuIdle, HOST_SANDBOX_CPU_IDLE): against the
 * processes beside it (the host, the engine, the edge in local development) it has the kernel's
 * lowest weight, and a waking host or engine thread takes a core from a sandbox at once instead of
 * waiting its turn behind the burners. Inside the parent nothing changes: the sandboxes share the cap by
 * their own weights. docs/sandbox-host.md ("CPU") has the measurements. A run's start lifts the flag for
 * a moment (parentIdleWriter, runner/start-priority.ts), and with the parent idle no cap is set by default:
 * the cap held the starting runs back in every throttled period, and the idle flag already keeps a core
 * for the host and the engine.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { CgroupLayout } from './cgroup.ts';
import { writeSmall } from './cgroup.ts';

export type CgroupDriver = 'cgroupfs' | 'systemd';

export async function engineCgroupDriver(docker: Docker): Promise<CgroupDriver> {
  const info = (await docker.info()) as { CgroupDriver?: string };
  return info.CgroupDriver === 'systemd' ? 'systemd' : 'cgroupfs';
}

/** The parent when CGROUP_PARENT is not set: a cgroup path (cgroupfs) or a slice name (systemd). */
export function defaultSandboxParent(driver: CgroupDriver): string {
  return driver === 'systemd' ? 'airlock.slice' : '/airlock';
}

type RunCommand = (file: string, args: readonly string[]) => Promise<unknown>;
const run: RunCommand = (file, args) => promisify(execFile)(file, [...args], { timeout: 10_000 });

/** Where the sandboxes' parent is: the tree, the engine's driver and the parent's path or slice. */
export interface SandboxParent {
  layout: CgroupLayout;
  driver: CgroupDriver;
  root: string;
  parent: string;
  runCommand?: RunCommand;
}

interface CapInput extends SandboxParent {
  /** Cores all sandboxes together may use; 0 = no cap. */
  cpus: number;
  /** The CFS period the quota is given in (HOST_SANDBOX_CPU_PERIOD_MS; config.ts says why the default is 100 ms). */
  periodMs: number;
}

export type CapResult = { ok: true; applied: string } | { ok: false; reason: string };

const notApplied = (err: unknown): CapResult => ({
  ok: false,
  reason: err instanceof Error ? err.message : String(err),
});

/** The parent's directory in the cpu controller (cgroupfs driver). */
const parentCpuDir = (layout: 'v1' | 'v2', root: string, parent: string) =>
  layout === 'v1' ? join(root, 'cpu', parent) : join(root, parent);

export async function applySandboxCpuCap(input: CapInput): Promise<CapResult> {
  const { layout, driver, root, parent, cpus, periodMs } = input;
  const periodUs = periodMs * 1000;
  // No cap (0) is written too: the parent outlives the host, and a cap an earlier start left would hold.
  const quotaUs = cpus === 0 ? null : Math.round(cpus * periodUs);
  const uncapped = quotaUs === null ? 'none (HOST_SANDBOX_CPUS=0): ' : '';
  try {
    if (driver === 'systemd') {
      // An empty CPUQuota= removes the slice's quota.
      const quota = quotaUs === null ? '' : `${Math.round(cpus * 100)}%`;
      const properties = [`CPUQuota=${quota}`, `CPUQuotaPeriodSec=${periodMs}ms`];
      await (input.runCommand ?? run)('systemctl', ['set-property', '--runtime', parent, ...properties]);
      return { ok: true, applied: `${uncapped}${parent} ${properties.join(' ')}` };
    }
    if (layout === 'v1') {
      const dir = parentCpuDir(layout, root, parent);
      await mkdir(dir, { recursive: true });
      // v1 refuses (EINVAL) any write that leaves the parent's quota per period below a running
      // child's (a sandbox's own 1 CPU), and the period and quota are two files: between the two
      // writes the ratio is old quota / new period, or new quota / old period. Lifting the quota
      // first (-1: none) keeps every step valid whichever way the period moves, for an instant uncapped.
      await writeFile(join(dir, 'cpu.cfs_quota_us'), '-1');
      await writeFile(join(dir, 'cpu.cfs_period_us'), String(periodUs));
      if (quotaUs !== null) await writeFile(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
      return {
        ok: true,
        applied: `${uncapped}${dir}/cpu.cfs_quota_us=${quotaUs ?? -1} cpu.cfs_period_us=${periodUs}`,
      };
    }
    if (layout === 'v2') {
      const dir = parentCpuDir(layout, root, parent);
      await mkdir(dir, { recursive: true });
      // The cpu controller must be enabled for the parent's own cgroup (the engine usually has).
      await writeFile(join(root, 'cgroup.subtree_control'), '+cpu').catch(() => undefined);
      const max = `${quotaUs ?? 'max'} ${periodUs}`;
      await writeFile(join(dir, 'cpu.max'), max);
      return { ok: true, applied: `${uncapped}${dir}/cpu.max=${max}` };
    }
    return { ok: false, reason: 'no cgroup tree found' };
  } catch (err) {
    return notApplied(err);
  }
}

interface IdleInput extends SandboxParent {
  /** Make the parent an idle group (true), or an ordinary one (false: lifts what an earlier start set). */
  idle: boolean;
}

/**
 * Writes the parent's `cpu.idle` (Linux 5.15+, both layouts), or asks systemd (252+) for
 * `CPUWeight=idle`. Apart from the cap so that a kernel or systemd without it still gets the cap;
 * the result is reported, never fatal.
 */
export async function applySandboxCpuIdle(input: IdleInput): Promise<CapResult> {
  const { layout, driver, root, parent, idle } = input;
  try {
    if (driver === 'systemd') {
      // An empty CPUWeight= restores the default weight.
      const property = `CPUWeight=${idle ? 'idle' : ''}`;
      await (input.runCommand ?? run)('systemctl', ['set-property', '--runtime', parent, property]);
      return { ok: true, applied: `${parent} ${property}` };
    }
    if (layout === 'none') return { ok: false, reason: 'no cgroup tree found' };
    // The cap has created the parent; a missing file is a kernel without idle groups.
    const file = join(parentCpuDir(layout, root, parent), 'cpu.idle');
    await writeFile(file, idle ? '1' : '0', { flag: 'r+' });
    return { ok: true, applied: `${file}=${idle ? 1 : 0}` };
  } catch (err) {
    return notApplied(err);
  }
}

/**
 * Sets the parent's idle flag from the run path (runner/start-priority.ts): one synchronous write of
 * cpu.idle, so two toggles can never land out of order. Null where no such file is written: under the
 * systemd driver (a systemctl call per toggle is too slow for a run's start) or without a cgroup tree.
 */
export function parentIdleWriter(input: SandboxParent): ((idle: boolean) => void) | null {
  const { layout, driver, root, parent } = input;
  if (driver === 'systemd' || layout === 'none') return null;
  const file = join(parentCpuDir(layout, root, parent), 'cpu.idle');
  return (idle) => writeSmall(file, idle ? '1' : '0');
}
