/**
 * cgroup accounting against fixture trees of both layouts (temp directories shaped like the kernel's),
 * and the layout detection for each. The real layout of this machine is exercised by every test that
 * reads `cpuMs`/`peakMemoryBytes` from a run (hardening, isolation).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canResetPeak, cgroupReaderFor, detectCgroupLayout } from '../src/docker/cgroup.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'airlock-cgroup-'));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

describe('cgroup v1 (one tree per controller)', () => {
  const id = 'abc123';
  const v1 = {
    [`cpuacct/docker/${id}/cpuacct.usage`]: '2500000000\n',
    [`memory/docker/${id}/memory.max_usage_in_bytes`]: '104857600\n',
    [`memory/docker/${id}/memory.oom_control`]: 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
  };

  it('is detected by its controller directories', async () => {
    expect(await detectCgroupLayout(await tree(v1))).toBe('v1');
  });

  it('reads CPU time, the peak (reset at mark) and OOM kills', async () => {
    const root = await tree(v1);
    const reader = cgroupReaderFor('v1', root, 'docker');
    expect(await reader.mark(id)).toBe(2_500_000_000);
    // mark() wrote 0 to reset the watermark, as the kernel expects.
    const afterMark = await reader.read(id);
    expect(afterMark).toEqual({ cpuNs: 2_500_000_000, peakMemoryBytes: 0, oomKills: 2 });
  });

  it('yields nulls for a container it cannot find', async () => {
    const reader = cgroupReaderFor('v1', await tree(v1), 'docker');
    expect(await reader.read('missing')).toEqual({ cpuNs: null, peakMemoryBytes: null, oomKills: null });
  });
});

describe('cgroup v2 (the unified tree)', () => {
  const id = 'def456';
  const v2 = (parentDir: string) => ({
    'cgroup.controllers': 'cpuset cpu io memory pids\n',
    [`${parentDir}/cpu.stat`]: 'usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n',
    [`${parentDir}/memory.peak`]: '209715200\n',
    [`${parentDir}/memory.events`]: 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n',
  });

  it('is detected by cgroup.controllers at its root, even beside v1-looking directories', async () => {
    const root = await tree({ ...v2(`docker/${id}`), 'memory/x': '', 'cpuacct/x': '' });
    expect(await detectCgroupLayout(root)).toBe('v2');
  });

  it('reads usage_usec as nanoseconds, memory.peak and oom_kill from memory.events', async () => {
    const reader = cgroupReaderFor('v2', await tree(v2(`docker/${id}`)), 'docker');
    expect(await reader.read(id)).toEqual({
      cpuNs: 1_500_000_000,
      peakMemoryBytes: 209_715_200,
      oomKills: 1,
    });
  });

  it('resets the peak through the file it keeps open from mark to read', async () => {
    const root = await tree(v2(`docker/${id}`));
    const reader = cgroupReaderFor('v2', root, 'docker');
    expect(await reader.mark(id)).toBe(1_500_000_000);
    // The kernel answers a read on the reset file with the peak since the reset; model that.
    await writeFile(join(root, `docker/${id}/memory.peak`), '33554432\n');
    expect((await reader.read(id)).peakMemoryBytes).toBe(33_554_432);
  });

  it('finds containers under a systemd slice as docker-<id>.scope', async () => {
    const reader = cgroupReaderFor('v2', await tree(v2(`system.slice/docker-${id}.scope`)), 'system.slice');
    expect((await reader.read(id)).cpuNs).toBe(1_500_000_000);
  });

  it('yields nulls for a container it cannot find', async () => {
    const reader = cgroupReaderFor('v2', await tree(v2(`docker/${id}`)), 'docker');
    expect(await reader.mark('missing')).toBeNull();
    expect(await reader.read('missing')).toEqual({ cpuNs: null, peakMemoryBytes: null, oomKills: null });
  });
});

describe('no cgroup tree', () => {
  it('is detected as none and reads nulls', async () => {
    const root = await tree({ 'unrelated/file': '' });
    expect(await detectCgroupLayout(root)).toBe('none');
    expect(await cgroupReaderFor('none', root, 'docker').read('x')).toEqual({
      cpuNs: null,
      peakMemoryBytes: null,
      oomKills: null,
    });
  });
});

describe('whether the peak can be reset (the host warns at start when not)', () => {
  it("looks at the sandboxes' parent in the layout found: writable there, not where it is missing", async () => {
    const v1 = await tree({
      'memory/docker/x/memory.max_usage_in_bytes': '0\n',
      'cpuacct/docker/x/cpuacct.usage': '0\n',
    });
    expect(await canResetPeak('v1', v1, 'docker')).toBe(true);
    expect(await canResetPeak('v1', v1, 'system.slice')).toBe(false);
    const v2 = await tree({ 'cgroup.controllers': 'cpu memory\n', 'docker/x/memory.peak': '0\n' });
    expect(await canResetPeak('v2', v2, 'docker')).toBe(true);
    expect(await canResetPeak('v2', v2, 'system.slice')).toBe(false);
    expect(await canResetPeak('none', v2, 'docker')).toBe(false);
  });
});

describe('setting a memory limit in the cgroup (gVisor runs: docker/sandbox.ts)', () => {
  const id = 'mem789';
  const mib = (n: number) => String(n * 1024 * 1024);

  it('v1: writes memory and memory+swap (lowering and raising)', async () => {
    const root = await tree({
      [`memory/airlock/${id}/memory.limit_in_bytes`]: `${mib(256)}\n`,
      [`memory/airlock/${id}/memory.memsw.limit_in_bytes`]: `${mib(256)}\n`,
    });
    const reader = cgroupReaderFor('v1', root, 'airlock');
    const dir = join(root, 'memory', 'airlock', id);
    // The order itself is checked by the kernel (it refuses memsw below memory): the hardening test
    // lowers a real gVisor sandbox's limit from 256 to 128 MiB.
    await reader.setMemoryLimit(id, 128 * 1024 * 1024);
    expect(await readFile(join(dir, 'memory.limit_in_bytes'), 'utf8')).toBe(mib(128));
    expect(await readFile(join(dir, 'memory.memsw.limit_in_bytes'), 'utf8')).toBe(mib(128));
    await reader.setMemoryLimit(id, 512 * 1024 * 1024);
    expect(await readFile(join(dir, 'memory.limit_in_bytes'), 'utf8')).toBe(mib(512));
    expect(await readFile(join(dir, 'memory.memsw.limit_in_bytes'), 'utf8')).toBe(mib(512));
  });

  it('v2: writes memory.max and no swap', async () => {
    const root = await tree({
      'cgroup.controllers': 'cpu memory pids\n',
      [`airlock/${id}/memory.max`]: 'max\n',
      [`airlock/${id}/memory.swap.max`]: 'max\n',
    });
    await cgroupReaderFor('v2', root, 'airlock').setMemoryLimit(id, 128 * 1024 * 1024);
    expect(await readFile(join(root, 'airlock', id, 'memory.max'), 'utf8')).toBe(mib(128));
    expect(await readFile(join(root, 'airlock', id, 'memory.swap.max'), 'utf8')).toBe('0');
  });

  it('fails when the cgroup is missing, so a run never keeps a larger limit than it was admitted with', async () => {
    const root = await tree({ 'memory/airlock/.keep': '' });
    await expect(cgroupReaderFor('v1', root, 'airlock').setMemoryLimit(id, 1 << 27)).rejects.toThrow();
    await expect(cgroupReaderFor('none', root, 'airlock').setMemoryLimit(id, 1 << 27)).rejects.toThrow();
  });
});
