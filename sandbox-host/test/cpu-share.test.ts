/**
 * CPU sharing (issue #10): the sandboxes' parent cgroup with its CPU cap and idle flag, the interactive
 * boost (a long run's weight is lowered and it becomes an idle group; a fresh run keeps the default), and
 * a run's start lifting the idle parent (runner/start-priority.ts). The cap is checked in fixture trees
 * of both layouts and both cgroup drivers, then on this machine's real tree with real containers.
 * Asserted by the container spec and the cgroup files, never by timing.
 */
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { cgroupReaderFor, detectCgroupLayout, LOWERED_CPU_WEIGHT } from '../src/docker/cgroup.ts';
import {
  applySandboxCpuCap,
  applySandboxCpuIdle,
  defaultSandboxParent,
  parentIdleWriter,
} from '../src/docker/sandbox-cgroup.ts';
import { defaultSandboxCpus, readMachineFacts } from '../src/machine.ts';
import type { Session, TestHost } from './support.ts';
import { connect, containersOf, docker, startTestHost, uniqueId, waitFor } from './support.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fixture(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'airlock-cap-'));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

describe('the sandboxes’ CPU cap (fixture trees)', () => {
  it('v1 + cgroupfs: creates <root>/cpu/<parent> and writes the CFS quota', async () => {
    const root = await fixture({ 'cpu/cpu.shares': '1024\n' });
    const cap = await applySandboxCpuCap({
      layout: 'v1',
      driver: 'cgroupfs',
      root,
      parent: '/airlock',
      cpus: 1.5,
      periodMs: 10,
    });
    expect(cap.ok).toBe(true);
    expect(await readFile(join(root, 'cpu/airlock/cpu.cfs_quota_us'), 'utf8')).toBe('15000');
    expect(await readFile(join(root, 'cpu/airlock/cpu.cfs_period_us'), 'utf8')).toBe('10000');
  });

  it('v2 + cgroupfs: enables the cpu controller and writes cpu.max', async () => {
    const root = await fixture({ 'cgroup.controllers': 'cpu memory pids\n' });
    const cap = await applySandboxCpuCap({
      layout: 'v2',
      driver: 'cgroupfs',
      root,
      parent: '/airlock',
      cpus: 3,
      periodMs: 10,
    });
    expect(cap.ok).toBe(true);
    expect(await readFile(join(root, 'airlock/cpu.max'), 'utf8')).toBe('30000 10000');
    expect(await readFile(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu');
  });

  it('systemd driver: asks systemd for the slice’s quota with an argument array', async () => {
    const calls: [string, readonly string[]][] = [];
    const cap = await applySandboxCpuCap({
      layout: 'v2',
      driver: 'systemd',
      root: '/nonexistent',
      parent: defaultSandboxParent('systemd'),
      cpus: 1.5,
      periodMs: 10,
      runCommand: async (file, args) => calls.push([file, args]),
    });
    expect(cap.ok).toBe(true);
    expect(calls).toEqual([
      [
        'systemctl',
        ['set-property', '--runtime', 'airlock.slice', 'CPUQuota=150%', 'CPUQuotaPeriodSec=10ms'],
      ],
    ]);
  });

  it('a cap that cannot be written is reported, not thrown', async () => {
    const root = await fixture({ cpu: '' }); // `cpu` is a file: nothing can be created below it
    const cap = await applySandboxCpuCap({
      layout: 'v1',
      driver: 'cgroupfs',
      root,
      parent: '/airlock',
      cpus: 1,
      periodMs: 10,
    });
    expect(cap.ok).toBe(false);
  });

  it('0 lifts a cap an earlier start left on the parent (v1, v2, systemd)', async () => {
    const v1 = await fixture({
      'cpu/airlock/cpu.cfs_quota_us': '150000',
      'cpu/airlock/cpu.cfs_period_us': '100000',
    });
    const none = { driver: 'cgroupfs', parent: '/airlock', cpus: 0, periodMs: 100 } as const;
    expect(await applySandboxCpuCap({ ...none, layout: 'v1', root: v1 })).toMatchObject({ ok: true });
    expect(await readFile(join(v1, 'cpu/airlock/cpu.cfs_quota_us'), 'utf8')).toBe('-1');
    const v2 = await fixture({ 'airlock/cpu.max': '150000 100000' });
    const lifted = await applySandboxCpuCap({ ...none, layout: 'v2', root: v2 });
    expect(lifted).toEqual({
      ok: true,
      applied: `none (HOST_SANDBOX_CPUS=0): ${v2}/airlock/cpu.max=max 100000`,
    });
    expect(await readFile(join(v2, 'airlock/cpu.max'), 'utf8')).toBe('max 100000');
    const calls: [string, readonly string[]][] = [];
    await applySandboxCpuCap({
      ...none,
      layout: 'v2',
      driver: 'systemd',
      root: '/nonexistent',
      parent: 'airlock.slice',
      runCommand: async (file, args) => calls.push([file, args]),
    });
    expect(calls).toEqual([
      ['systemctl', ['set-property', '--runtime', 'airlock.slice', 'CPUQuota=', 'CPUQuotaPeriodSec=100ms']],
    ]);
  });

  it('the parent as an idle group: cpu.idle in v1 and v2, CPUWeight=idle from systemd; 0 lifts it', async () => {
    const v1 = await fixture({ 'cpu/airlock/cpu.idle': '0\n' });
    const input = { driver: 'cgroupfs', parent: '/airlock', idle: true } as const;
    expect(await applySandboxCpuIdle({ ...input, layout: 'v1', root: v1 })).toMatchObject({ ok: true });
    // The kernel's file is written in place (r+: never created); the fixture keeps what follows the digit.
    expect((await readFile(join(v1, 'cpu/airlock/cpu.idle'), 'utf8')).trim()).toBe('1');
    const v2 = await fixture({ 'airlock/cpu.idle': '1\n' });
    expect(await applySandboxCpuIdle({ ...input, layout: 'v2', root: v2, idle: false })).toEqual({
      ok: true,
      applied: `${v2}/airlock/cpu.idle=0`,
    });
    expect((await readFile(join(v2, 'airlock/cpu.idle'), 'utf8')).trim()).toBe('0');
    const calls: [string, readonly string[]][] = [];
    const runCommand = async (file: string, args: readonly string[]) => calls.push([file, args]);
    const slice = { layout: 'v2', driver: 'systemd', root: '/nonexistent', parent: 'airlock.slice' } as const;
    await applySandboxCpuIdle({ ...slice, idle: true, runCommand });
    await applySandboxCpuIdle({ ...slice, idle: false, runCommand });
    expect(calls).toEqual([
      ['systemctl', ['set-property', '--runtime', 'airlock.slice', 'CPUWeight=idle']],
      ['systemctl', ['set-property', '--runtime', 'airlock.slice', 'CPUWeight=']],
    ]);
  });

  it('a kernel without idle groups (no cpu.idle) is reported, and no file is made up', async () => {
    const root = await fixture({ 'cpu/airlock/cpu.shares': '1024\n' });
    const idle = await applySandboxCpuIdle({
      layout: 'v1',
      driver: 'cgroupfs',
      root,
      parent: '/airlock',
      idle: true,
    });
    expect(idle.ok).toBe(false);
    await expect(readFile(join(root, 'cpu/airlock/cpu.idle'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('a long run: its weight lowered and its group made idle, in v1 and v2; a kernel without cpu.idle keeps the weight alone', async () => {
    const read = (root: string, path: string) => readFile(join(root, path), 'utf8').then((t) => t.trim());
    const v1 = await fixture({ 'cpu/airlock/c1/cpu.shares': '1024\n', 'cpu/airlock/c1/cpu.idle': '0\n' });
    await cgroupReaderFor('v1', v1, '/airlock').lowerCpuWeight('c1');
    expect(await read(v1, 'cpu/airlock/c1/cpu.shares')).toBe(String(LOWERED_CPU_WEIGHT.v1Shares));
    expect(await read(v1, 'cpu/airlock/c1/cpu.idle')).toBe('1');
    const v2 = await fixture({ 'airlock/c2/cpu.weight': '100\n', 'airlock/c2/cpu.idle': '0\n' });
    await cgroupReaderFor('v2', v2, '/airlock').lowerCpuWeight('c2');
    expect(await read(v2, 'airlock/c2/cpu.weight')).toBe(String(LOWERED_CPU_WEIGHT.v2Weight));
    expect(await read(v2, 'airlock/c2/cpu.idle')).toBe('1');
    const old = await fixture({ 'cpu/airlock/c3/cpu.shares': '1024\n' });
    await cgroupReaderFor('v1', old, '/airlock').lowerCpuWeight('c3');
    expect(await read(old, 'cpu/airlock/c3/cpu.shares')).toBe(String(LOWERED_CPU_WEIGHT.v1Shares));
    await expect(read(old, 'cpu/airlock/c3/cpu.idle')).rejects.toThrow(/ENOENT/);
  });

  it('the run path’s idle writer: one write of the parent’s cpu.idle under cgroupfs; none under systemd', async () => {
    const v1 = await fixture({ 'cpu/airlock/cpu.idle': '1\n' });
    const write = parentIdleWriter({ layout: 'v1', driver: 'cgroupfs', root: v1, parent: '/airlock' });
    write?.(false);
    expect((await readFile(join(v1, 'cpu/airlock/cpu.idle'), 'utf8')).trim()).toBe('0');
    write?.(true);
    expect((await readFile(join(v1, 'cpu/airlock/cpu.idle'), 'utf8')).trim()).toBe('1');
    expect(
      parentIdleWriter({ layout: 'v2', driver: 'systemd', root: v1, parent: 'airlock.slice' }),
    ).toBeNull();
    expect(parentIdleWriter({ layout: 'none', driver: 'cgroupfs', root: v1, parent: '/airlock' })).toBeNull();
  });

  it('a host whose kernel has no idle groups applies the default cap in their place (and lifts no start)', async () => {
    // A v1 tree with no cpu.idle anywhere: the host writes the cap there; its sandboxes are not started.
    const root = await fixture({ 'memory/.keep': '', 'cpuacct/.keep': '' });
    const h = await startTestHost({ CGROUP_ROOT: root, CGROUP_PARENT: '/airlock' });
    try {
      const quotaUs = Math.round(defaultSandboxCpus(readMachineFacts(), 1) * 100_000);
      expect((await readFile(join(root, 'cpu/airlock/cpu.cfs_quota_us'), 'utf8')).trim()).toBe(
        String(quotaUs),
      );
      await expect(readFile(join(root, 'cpu/airlock/cpu.idle'), 'utf8')).rejects.toThrow(/ENOENT/);
    } finally {
      await h.close();
    }
  });

  /** The host's config from `env` on a machine of `cores` cores, or its errors as one line. */
  const configWith = (env: Record<string, string>, cores = 2) => {
    const jwk = JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'x'.repeat(43) });
    const machine = { totalMemoryMb: 8192, maxTasks: 32_768, cpuCores: cores };
    const parsed = parseConfig({ EDGE_PUBLIC_JWK: jwk, ...env }, machine);
    return parsed.ok ? parsed.config : parsed.errors.join('; ');
  };

  it('no cap by default beside the idle parent; without it the cores minus half a core, never below one run; refuses a cap below RUN_CPUS', () => {
    const cpus = (e: Record<string, string>, cores: number) => {
      const config = configWith(e, cores);
      return typeof config === 'string' ? config : [config.sandboxCpus, config.sandboxCpusWithoutIdle];
    };
    expect(cpus({}, 2)).toEqual([0, 1.5]);
    expect(cpus({ HOST_SANDBOX_CPU_IDLE: '0' }, 2)).toEqual([1.5, 1.5]);
    expect(cpus({ HOST_SANDBOX_CPU_IDLE: '0' }, 1)).toEqual([1, 1]);
    expect(cpus({ HOST_SANDBOX_CPU_IDLE: '0', RUN_CPUS: '2' }, 2)).toEqual([2, 2]);
    expect(cpus({ HOST_SANDBOX_CPUS: '0' }, 2)).toEqual([0, 0]);
    expect(cpus({ HOST_SANDBOX_CPUS: '1.5' }, 2)).toEqual([1.5, 1.5]);
    expect(cpus({ HOST_SANDBOX_CPUS: '0.5' }, 2)).toMatch(
      /HOST_SANDBOX_CPUS: must be 0 \(no cap\) or at least RUN_CPUS/,
    );
    expect(cpus({ CGROUP_PARENT: '../escape' }, 2)).toMatch(/CGROUP_PARENT/);
  });

  it('a run’s start window: 200 ms by default, 0 (never) to 10 s', () => {
    const windowMs = (e: Record<string, string>) => {
      const config = configWith(e);
      return typeof config === 'string' ? config : config.startPriorityMs;
    };
    expect(windowMs({})).toBe(200);
    expect(windowMs({ RUN_START_PRIORITY_MS: '0' })).toBe(0);
    expect(windowMs({ RUN_START_PRIORITY_MS: '10001' })).toMatch(/RUN_START_PRIORITY_MS/);
  });

  it('the idle group is on by default; HOST_SANDBOX_CPU_IDLE takes 0 or 1 only', () => {
    const idle = (e: Record<string, string>) => {
      const config = configWith(e);
      return typeof config === 'string' ? config : config.sandboxCpuIdle;
    };
    expect(idle({})).toBe(true);
    expect(idle({ HOST_SANDBOX_CPU_IDLE: '0' })).toBe(false);
    expect(idle({ HOST_SANDBOX_CPU_IDLE: '1' })).toBe(true);
    expect(idle({ HOST_SANDBOX_CPU_IDLE: 'no' })).toMatch(/HOST_SANDBOX_CPU_IDLE: must be 0 or 1/);
  });

  it('the cap’s period: the kernel’s 100 ms by default, what the kernel allows (1 ms to 1 s) when set', () => {
    const period = (e: Record<string, string>) => {
      const config = configWith(e);
      return typeof config === 'string' ? config : config.sandboxCpuPeriodMs;
    };
    expect(period({})).toBe(100);
    expect(period({ HOST_SANDBOX_CPU_PERIOD_MS: '10' })).toBe(10);
    expect(period({ HOST_SANDBOX_CPU_PERIOD_MS: '0' })).toMatch(/HOST_SANDBOX_CPU_PERIOD_MS/);
    expect(period({ HOST_SANDBOX_CPU_PERIOD_MS: '1001' })).toMatch(/HOST_SANDBOX_CPU_PERIOD_MS/);
  });
});

/** A run that sleeps past every check of a test, until the test closes its socket. */
const SLEEPER = { language: 'python', code: 'import time\ntime.sleep(20)', limits: { timeoutMs: 15_000 } };

/** This machine's tree, as the engine uses it (the suite runs where the engine's cgroups are visible). */
const CGROUP_ROOT = '/sys/fs/cgroup';

describe('on this machine, with real containers', async () => {
  const layout = await detectCgroupLayout(CGROUP_ROOT);
  const driver = ((await docker.info()) as { CgroupDriver?: string }).CgroupDriver;
  // The checks below read the cgroupfs driver's paths; the test host writes the real tree.
  const cpuDir = (parent: string, id = '') =>
    layout === 'v1' ? join(CGROUP_ROOT, 'cpu', parent, id) : join(CGROUP_ROOT, parent, id);
  const weightFile = layout === 'v1' ? 'cpu.shares' : 'cpu.weight';
  const defaultWeight = layout === 'v1' ? '1024' : '100';
  const parent = `/airlock-test-${uniqueId('cap')}`;

  let h: TestHost | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  afterAll(async () => {
    // The engine leaves the (now empty) parent behind in every controller; remove ours.
    const controllers =
      layout === 'v1'
        ? ['cpu', 'cpuacct', 'memory', 'pids', 'cpuset', 'blkio', 'devices', 'freezer', 'systemd']
        : [''];
    for (const c of controllers) await rmdir(join(CGROUP_ROOT, c, parent)).catch(() => undefined);
  });

  it('precondition: cgroupfs driver and a cgroup tree (what this suite’s machine has)', () => {
    expect(driver).toBe('cgroupfs');
    expect(layout).not.toBe('none');
  });

  async function start(request: Record<string, unknown>): Promise<Session> {
    const host = h as TestHost;
    const runId = uniqueId('run');
    const session = await connect(host.url, await host.token({ runId, request }));
    session.send({ type: 'run', runId, request });
    const first = await Promise.race([session.next('started'), session.next('error')]);
    expect(first.type).toBe('started');
    return session;
  }

  const containerIdleOf = async (id: string) =>
    (await readFile(join(cpuDir(parent, id), 'cpu.idle'), 'utf8')).trim();
  const weightOf = async (id: string) =>
    (await readFile(join(cpuDir(parent, id), weightFile), 'utf8')).trim();
  /** The parent's cap as the kernel holds it: v1's quota and period files, or v2's cpu.max. */
  const capFiles = async () =>
    layout === 'v1'
      ? [
          (await readFile(join(cpuDir(parent), 'cpu.cfs_quota_us'), 'utf8')).trim(),
          (await readFile(join(cpuDir(parent), 'cpu.cfs_period_us'), 'utf8')).trim(),
        ]
      : [(await readFile(join(cpuDir(parent), 'cpu.max'), 'utf8')).trim()];
  /** What capFiles reads for a quota and period in µs. */
  const capOf = (quotaUs: number, periodUs: number) =>
    layout === 'v1' ? [String(quotaUs), String(periodUs)] : [`${quotaUs} ${periodUs}`];

  it('sandboxes are created under the capped parent cgroup; a long run’s weight is lowered, a new run’s is not', async () => {
    h = await startTestHost({ CGROUP_PARENT: parent, HOST_SANDBOX_CPUS: '1.5', RUN_CPU_BOOST_MS: '100' });
    expect(await capFiles()).toEqual(capOf(150_000, 100_000));

    const burner = await start({
      language: 'python',
      code: 'while True:\n    pass',
      limits: { timeoutMs: 15_000 },
    });
    const [burnerInfo] = await containersOf(h.hostId);
    const burnerId = burnerInfo?.Id as string;
    const spec = await docker.getContainer(burnerId).inspect();
    expect(spec.HostConfig.CgroupParent).toBe(parent);
    // Past RUN_CPU_BOOST_MS of CPU the burner becomes an idle group (bounded by the test's timeout only);
    // the kernel then reports an idle group's weight as its own (3 in v1), not the lowered one.
    await waitFor(
      async () => (await containerIdleOf(burnerId)) === '1' || undefined,
      'the burner to become an idle group',
    );

    const sleeper = await start(SLEEPER);
    const sleeperId = (await containersOf(h.hostId)).map((c) => c.Id).find((id) => id !== burnerId) as string;
    expect(sleeperId).toBeDefined();
    expect(await weightOf(sleeperId)).toBe(defaultWeight);
    expect(await containerIdleOf(sleeperId)).toBe('0');
    expect(await weightOf(burnerId)).not.toBe(defaultWeight);

    burner.ws.close();
    sleeper.ws.close();
    await Promise.all([burner.closed, sleeper.closed]);
  });

  it('the period changes either way while a sandbox runs under the parent (the kernel checks every write)', async () => {
    h = await startTestHost({ CGROUP_PARENT: parent, HOST_SANDBOX_CPUS: '1.5' });
    const sleeper = await start(SLEEPER);
    expect(await containersOf(h.hostId)).not.toHaveLength(0);
    const cap = (periodMs: number) =>
      applySandboxCpuCap({ layout, driver: 'cgroupfs', root: CGROUP_ROOT, parent, cpus: 1.5, periodMs });
    // Down: written quota-first, 15000 µs per 100000 would sit below the sandbox's own 1 CPU.
    expect(await cap(10)).toMatchObject({ ok: true });
    expect(await capFiles()).toEqual(capOf(15_000, 10_000));
    // Up: written period-first, 15000 µs per 100000 would too.
    expect(await cap(100)).toMatchObject({ ok: true });
    expect(await capFiles()).toEqual(capOf(150_000, 100_000));
    sleeper.ws.close();
    await sleeper.closed;
  });

  const idleOf = async () => (await readFile(join(cpuDir(parent), 'cpu.idle'), 'utf8')).trim();

  it('the parent is an idle group by default; a host started with HOST_SANDBOX_CPU_IDLE=0 makes it ordinary again', async () => {
    h = await startTestHost({ CGROUP_PARENT: parent });
    expect(await idleOf()).toBe('1');
    // Beside the idle group no cap by default: a throttled period would hold a starting run back.
    expect(await capFiles()).toEqual(layout === 'v1' ? ['-1', '100000'] : ['max 100000']);
    // Inside the idle parent the sandboxes keep their own weights (what the boost lowers).
    const sleeper = await start(SLEEPER);
    const [info] = await containersOf(h.hostId);
    expect(await weightOf(info?.Id as string)).toBe(defaultWeight);
    sleeper.ws.close();
    await sleeper.closed;
    await h.close();
    // The parent outlives the host that set it.
    expect(await idleOf()).toBe('1');
    h = await startTestHost({ CGROUP_PARENT: parent, HOST_SANDBOX_CPU_IDLE: '0' });
    expect(await idleOf()).toBe('0');
  });

  it('a host started with HOST_SANDBOX_CPUS=0 lifts the cap an earlier host left on the parent', async () => {
    h = await startTestHost({ CGROUP_PARENT: parent, HOST_SANDBOX_CPUS: '1.5' });
    expect(await capFiles()).toEqual(capOf(150_000, 100_000));
    await h.close();
    // The parent outlives the host that capped it.
    expect(await capFiles()).toEqual(capOf(150_000, 100_000));
    h = await startTestHost({ CGROUP_PARENT: parent, HOST_SANDBOX_CPUS: '0' });
    expect(await capFiles()).toEqual(layout === 'v1' ? ['-1', '100000'] : ['max 100000']);
  });

  it('a run’s start makes the idle parent ordinary until its window ends or the run does', async () => {
    h = await startTestHost({ CGROUP_PARENT: parent, RUN_START_PRIORITY_MS: '10000', POOL_SIZE: '0' });
    expect(await idleOf()).toBe('1');
    const sleeper = await start(SLEEPER);
    expect(await idleOf()).toBe('0');
    sleeper.ws.close();
    await sleeper.closed;
    await waitFor(async () => (await idleOf()) === '1' || undefined, 'the parent to be idle again');
    await h.close();

    // The default window is short: idle again while the run still sleeps.
    h = await startTestHost({ CGROUP_PARENT: parent, POOL_SIZE: '0' });
    const second = await start(SLEEPER);
    await waitFor(async () => (await idleOf()) === '1' || undefined, 'the window to end');
    expect(await containersOf(h.hostId)).toHaveLength(1);
    second.ws.close();
    await second.closed;
    await h.close();

    // 0: the parent stays idle through a run's start.
    h = await startTestHost({ CGROUP_PARENT: parent, RUN_START_PRIORITY_MS: '0', POOL_SIZE: '0' });
    const third = await start(SLEEPER);
    expect(await idleOf()).toBe('1');
    third.ws.close();
    await third.closed;
  });
});
