/**
 * The parent cgroup every sandbox container is created under (HostConfig.CgroupParent), capped at
 * HOST_SANDBOX_CPUS cores. However many sandboxes burn CPU, the rest of the machine's cores stay for the
 * host process, the engine (which creates and removes containers: a new run needs it) and the system.
 * Each sandbox keeps its own limit (RUN_CPUS) inside the cap; the kernel's CFS shares the cap among
 * the runnable sandboxes by their weights (runner/cpu-boost.ts lowers a long run's).
 *
 * Where the cap is written depends on the engine's cgroup driver and the kernel's layout:
 * - cgroupfs driver: the host creates `<root>/cpu/<parent>` (v1) or `<root>/<parent>` (v2) and writes
 *   the quota (cpu.cfs_quota_us, cpu.max); the engine creates the containers' cgroups below it.
 * - systemd driver: the parent is a slice, which systemd owns: the host asks systemd for the quota
 *   (`systemctl set-property --runtime <slice> CPUQuota=<n>%`, an argument array).
 * A cap that cannot be applied (read-only cgroup mount, no permission) is reported, not fatal: the
 * sandboxes then run uncapped, as before, each within its own limit.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { CgroupLayout } from './cgroup.ts';

export type CgroupDriver = 'cgroupfs' | 'systemd';

/** The CFS period the quota is expressed in (the kernel's default, 100 ms). */
const PERIOD_US = 100_000;

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

interface CapInput {
  layout: CgroupLayout;
  driver: CgroupDriver;
  root: string;
  parent: string;
  /** Cores all sandboxes together may use; 0 = no cap. */
  cpus: number;
  runCommand?: RunCommand;
}

export type CapResult = { ok: true; applied: string } | { ok: false; reason: string };

export async function applySandboxCpuCap(input: CapInput): Promise<CapResult> {
  const { layout, driver, root, parent, cpus } = input;
  if (cpus === 0) return { ok: true, applied: 'none (HOST_SANDBOX_CPUS=0)' };
  const quotaUs = Math.round(cpus * PERIOD_US);
  try {
    if (driver === 'systemd') {
      const property = `CPUQuota=${Math.round(cpus * 100)}%`;
      await (input.runCommand ?? run)('systemctl', ['set-property', '--runtime', parent, property]);
      return { ok: true, applied: `${parent} ${property}` };
    }
    if (layout === 'v1') {
      const dir = join(root, 'cpu', parent);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      await writeFile(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
      return { ok: true, applied: `${dir}/cpu.cfs_quota_us=${quotaUs}` };
    }
    if (layout === 'v2') {
      const dir = join(root, parent);
      await mkdir(dir, { recursive: true });
      // The cpu controller must be enabled for the parent's own cgroup (the engine usually has).
      await writeFile(join(root, 'cgroup.subtree_control'), '+cpu').catch(() => undefined);
      await writeFile(join(dir, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
      return { ok: true, applied: `${dir}/cpu.max=${quotaUs} ${PERIOD_US}` };
    }
    return { ok: false, reason: 'no cgroup tree found' };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
