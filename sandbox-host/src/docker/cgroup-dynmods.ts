/**
 * Whether the kernel's cgroup "favordynmods" mode is on. Every container start moves the container's
 * first process into its cgroups; without this mode that move takes a machine-wide lock that holds
 * every fork, thread start and exit, on a busy host for up to a second (docs/sandbox-host.md, "Noisy
 * neighbours"): one tenant's container starts would stall every other tenant's programs. The host
 * cannot change it from inside its container; scripts/docker-engine.sh turns it on (root, a remount of
 * the cgroup2 mount), and the host reports it at start so an operator sees a machine set up without it.
 */
import { readFile } from 'node:fs/promises';

export type FavorDynmods = 'on' | 'off' | 'unavailable';

/**
 * From /sys/kernel/cgroup/features (one option per line) and /proc/self/mountinfo. The flag is the
 * kernel's, one for the whole machine: any cgroup mount showing it in its super options means on.
 * "unavailable": the kernel does not offer it (before Linux 6.0), or no cgroup mount is visible.
 */
export function favorDynmodsState(features: string, mountinfo: string): FavorDynmods {
  if (!features.split('\n').some((line) => line.trim() === 'favordynmods')) return 'unavailable';
  let cgroupMounts = 0;
  for (const line of mountinfo.split('\n')) {
    // "<id> <parent> <dev> <root> <mount point> <options> [optional fields…] - <type> <source> <super options>"
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0) continue;
    const type = fields[dash + 1];
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    cgroupMounts += 1;
    if ((fields[dash + 3] ?? '').split(',').includes('favordynmods')) return 'on';
  }
  return cgroupMounts === 0 ? 'unavailable' : 'off';
}

export async function readFavorDynmods(): Promise<FavorDynmods> {
  const read = (path: string) => readFile(path, 'utf8').catch(() => '');
  return favorDynmodsState(await read('/sys/kernel/cgroup/features'), await read('/proc/self/mountinfo'));
}
