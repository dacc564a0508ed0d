/**
 * The kernel's cgroup favordynmods mode (src/docker/cgroup-dynmods.ts): read from the kernel's feature
 * list and the mount table, in fixtures of each case, and on this machine, where
 * scripts/docker-engine.sh (run by `npm test` before the host suites) turns it on wherever the kernel
 * offers it.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { favorDynmodsState, readFavorDynmods } from '../src/docker/cgroup-dynmods.ts';

const FEATURES = 'nsdelegate\nfavordynmods\nmemory_localevents\n';
const V1_CPU = '35 31 0:30 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu';
const V2 = (superOptions: string) =>
  `41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:15 - cgroup2 cgroup2 ${superOptions}`;
const PROC = '22 1 0:5 / /proc rw,nosuid - proc proc rw';

describe('favorDynmodsState', () => {
  it('is on when a cgroup mount carries the option in its super options', () => {
    expect(favorDynmodsState(FEATURES, [PROC, V1_CPU, V2('rw,favordynmods')].join('\n'))).toBe('on');
    expect(favorDynmodsState(FEATURES, V2('rw,nsdelegate,favordynmods,memory_recursiveprot'))).toBe('on');
  });

  it('is off when the kernel offers it and no cgroup mount carries it', () => {
    expect(favorDynmodsState(FEATURES, [PROC, V1_CPU, V2('rw,nsdelegate')].join('\n'))).toBe('off');
    // The mount options (before the dash) are the mount point's, not the cgroup root's.
    expect(
      favorDynmodsState(FEATURES, '41 31 0:38 / /x rw,favordynmods - cgroup2 cgroup2 rw,nsdelegate'),
    ).toBe('off');
  });

  it('is unavailable when the kernel does not list it, or no cgroup is mounted', () => {
    expect(favorDynmodsState('nsdelegate\nmemory_localevents\n', V2('rw'))).toBe('unavailable');
    expect(favorDynmodsState('', V2('rw,favordynmods'))).toBe('unavailable');
    expect(favorDynmodsState(FEATURES, PROC)).toBe('unavailable');
  });

  it('ignores a non-cgroup file system that happens to carry the word', () => {
    expect(favorDynmodsState(FEATURES, '50 1 0:40 / /mnt rw - tmpfs tmpfs rw,favordynmods')).toBe(
      'unavailable',
    );
  });
});

describe('on this machine', () => {
  it('favordynmods is on wherever the kernel offers it (scripts/docker-engine.sh)', async () => {
    const features = await readFile('/sys/kernel/cgroup/features', 'utf8').catch(() => '');
    const offered = features.split('\n').includes('favordynmods');
    expect(await readFavorDynmods()).toBe(offered ? 'on' : 'unavailable');
  });
});
