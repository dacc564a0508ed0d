/**
 * The engine's CPU weight (src/docker/engine-weight.ts): read from /proc and cgroup texts in fixtures,
 * and on this machine, where scripts/docker-engine.sh (run by `npm test` before the host suites) puts
 * the engine's containerd, and with it every container's shim, at AIRLOCK_ENGINE_CPU_WEIGHT.
 */
import { describe, expect, it } from 'vitest';
import { detectCgroupLayout } from '../src/docker/cgroup.ts';
import {
  cpuCgroupPath,
  ORDINARY_CPU_WEIGHT,
  parentPid,
  readShimCpuWeight,
  sharesToWeight,
} from '../src/docker/engine-weight.ts';
import type { TestHost } from './support.ts';
import { containersOf, docker, startTestHost, waitFor } from './support.ts';

const V1 = '12:pids:/\n4:cpu,cpuacct:/airlock-engine\n3:memory:/x\n1:name=systemd:/\n0::/';
const V2 = '0::/system.slice/containerd.service';

describe('reading the engine’s weight', () => {
  it('the cpu controller’s path: the v1 line naming cpu, the v2 line, none', () => {
    expect(cpuCgroupPath(V1, 'v1')).toBe('/airlock-engine');
    expect(cpuCgroupPath('5:cpuacct:/a\n4:cpuset:/b', 'v1')).toBeNull();
    expect(cpuCgroupPath(V2, 'v2')).toBe('/system.slice/containerd.service');
    expect(cpuCgroupPath('0::/a:b', 'v2')).toBe('/a:b');
    expect(cpuCgroupPath('4:cpu:/x', 'v2')).toBeNull();
  });

  it('v1 shares in v2 units; the parent process from /proc/<pid>/status', () => {
    expect(sharesToWeight(1024)).toBe(ORDINARY_CPU_WEIGHT);
    expect(sharesToWeight(256)).toBe(25);
    expect(parentPid('Name:\tpython3\nPid:\t42\nPPid:\t7\n')).toBe(7);
    expect(parentPid('Name:\tx\n')).toBeNull();
  });
});

describe('on this machine', () => {
  const expected = Number(process.env.AIRLOCK_ENGINE_CPU_WEIGHT ?? 25);

  it('a container’s shim runs at the engine’s lowered CPU weight (scripts/docker-engine.sh)', async () => {
    const layout = await detectCgroupLayout('/sys/fs/cgroup');
    expect(layout).not.toBe('none');
    const h: TestHost = await startTestHost({ POOL_SIZE: '1', POOL_LANGUAGES: 'python' });
    try {
      // The pool's warm container, once its first process runs.
      const pid = await waitFor(async () => {
        const [info] = await containersOf(h.hostId);
        if (!info) return undefined;
        const { State } = await docker.getContainer(info.Id).inspect();
        return State.Running && State.Pid > 0 ? State.Pid : undefined;
      }, 'a warm container');
      const shim = await readShimCpuWeight(pid, layout, '/sys/fs/cgroup');
      // 0: the script leaves the engine as it is, at an ordinary process's weight.
      if (expected !== 0) expect(shim?.cgroup).toMatch(/airlock-engine|containerd\.service/);
      expect(shim?.weight).toBe(expected === 0 ? ORDINARY_CPU_WEIGHT : expected);
    } finally {
      await h.close();
    }
  });
});
