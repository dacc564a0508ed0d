/**
 * The host's lifecycle, apart from its HTTP surface. Start: the engine must answer, a previous process's
 * containers are removed, installed runtimes are discovered, then the warm pool, the run service and the
 * periodic orphan sweep. Shutdown: stop accepting, let in-flight runs drain for up to DRAIN_TIMEOUT_MS,
 * cancel what is left, then remove every container this host labelled.
 */
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { HostConfig } from './config.ts';
import type { CgroupLayout } from './docker/cgroup.ts';
import { canResetPeak, cgroupReaderFor, detectCgroupLayout } from './docker/cgroup.ts';
import { readFavorDynmods } from './docker/cgroup-dynmods.ts';
import { sweepOrphans } from './docker/orphans.ts';
import type { ProfileLimits } from './docker/profile.ts';
import { checkRuntime, RuntimeNotRegistered } from './docker/runtime.ts';
import type { CapResult, SandboxParent } from './docker/sandbox-cgroup.ts';
import {
  applySandboxCpuCap,
  applySandboxCpuIdle,
  defaultSandboxParent,
  engineCgroupDriver,
  parentIdleWriter,
} from './docker/sandbox-cgroup.ts';
import { SandboxUids } from './docker/sandbox-uids.ts';
import type { RuntimeManifest } from './images/manifest.ts';
import { manifests as allManifests } from './images/manifests/index.ts';
import { once } from './once.ts';
import { WarmPool } from './runner/pool.ts';
import { RunService } from './runner/service.ts';
import { StartPriority } from './runner/start-priority.ts';
import type { InstalledRuntime } from './runtimes.ts';
import { discoverRuntimes } from './runtimes.ts';
import { HostMetrics } from './server/metrics.ts';

/** A container younger than this is never an orphan of the running process (it may be mid-creation). */
const ORPHAN_GRACE_MS = 60_000;

interface LifecycleDeps {
  docker: Docker;
  /** Already bound to this host's id. */
  log: Logger;
  now: () => number;
}

/** What the shutdown sequence asks of the HTTP surface, in this order. */
export interface SurfaceShutdown {
  /** Refuse new sockets and report not ready; stop listening. */
  stopAccepting(): void;
  /** Close the sockets still open once the runs are over. */
  closeSockets(): void;
  /** Drop every remaining HTTP connection. */
  closeConnections(): void;
}

interface HostLifecycle {
  readonly instanceId: string;
  readonly runtimes: readonly InstalledRuntime[];
  /** Manifests of the runtimes whose image is installed. */
  readonly installed: readonly RuntimeManifest[];
  readonly warmLanguages: readonly string[];
  /** The cgroup layout the accounting reads (reported in /readyz). */
  readonly cgroupLayout: CgroupLayout;
  readonly pool: WarmPool;
  readonly service: RunService;
  readonly metrics: HostMetrics;
  /** Starts the background work: filling the pool and the periodic orphan sweep. */
  run(): void;
  shutdown(surface: SurfaceShutdown): Promise<void>;
}

export async function startLifecycle(config: HostConfig, deps: LifecycleDeps): Promise<HostLifecycle> {
  const { docker, log, now } = deps;
  const instanceId = randomUUID();

  await docker.ping();
  const runtimeCheck = await checkRuntime(docker, config.sandboxRuntime);
  if (!runtimeCheck.ok) throw new RuntimeNotRegistered(config.sandboxRuntime, runtimeCheck.registered);
  const cgroupLayout = await detectCgroupLayout(config.cgroupRoot);
  const cgroupDriver = await engineCgroupDriver(docker);
  const cgroupParent = config.cgroupParent ?? defaultSandboxParent(cgroupDriver);
  if (cgroupLayout === 'none')
    log.warn({ root: config.cgroupRoot }, 'no cgroup tree found: no CPU/memory accounting');
  const sandboxParent: SandboxParent = {
    layout: cgroupLayout,
    driver: cgroupDriver,
    root: config.cgroupRoot,
    parent: cgroupParent,
  };
  const report = (result: CapResult, applied: string, notApplied: string) => {
    if (result.ok) log.info({ cgroupParent, applied: result.applied }, applied);
    else log.warn({ cgroupParent, reason: result.reason }, notApplied);
  };
  const applyCap = (cpus: number) =>
    applySandboxCpuCap({ ...sandboxParent, cpus, periodMs: config.sandboxCpuPeriodMs });
  report(
    await applyCap(config.sandboxCpus),
    'sandbox CPU cap',
    'sandbox CPU cap not applied: sandboxes may use every core',
  );
  const idle = await applySandboxCpuIdle({ ...sandboxParent, idle: config.sandboxCpuIdle });
  report(
    idle,
    'sandbox parent CPU idle setting',
    'sandbox parent idle setting not applied (Linux 5.15+, systemd 252+): sandboxes compete with the host and the engine at equal weight',
  );
  // Without the idle group, the cap is what keeps a core for the host and the engine.
  if (!idle.ok && config.sandboxCpusWithoutIdle !== config.sandboxCpus)
    report(
      await applyCap(config.sandboxCpusWithoutIdle),
      'sandbox CPU cap in place of the idle group',
      'sandbox CPU cap not applied: sandboxes may use every core',
    );
  const startPriority = new StartPriority({
    windowMs: config.sandboxCpuIdle && idle.ok ? config.startPriorityMs : 0,
    setParentIdle: parentIdleWriter(sandboxParent),
    onError: once((err: unknown) =>
      log.warn({ err }, 'cannot lift the sandbox parent’s idle flag for a run’s start (warned once)'),
    ),
  });
  // After the cap: applying it creates the parent cgroup whose writability this checks.
  if (cgroupLayout !== 'none' && !(await canResetPeak(cgroupLayout, config.cgroupRoot, cgroupParent)))
    log.warn(
      { root: config.cgroupRoot, parent: cgroupParent },
      'cgroup tree not writable: peak memory cannot be reset at handover (mount /sys/fs/cgroup read-write)',
    );
  const favorDynmods = await readFavorDynmods();
  if (favorDynmods === 'off')
    log.warn(
      { favorDynmods },
      "the kernel's cgroup favordynmods is off: every container start can stall every fork and exit on the machine (scripts/docker-engine.sh turns it on)",
    );
  else log.info({ favorDynmods }, 'cgroup favordynmods');
  // A previous process's containers are orphans by definition: remove them before anything else.
  // Every container of this host that no run of this process owns: at start and at shutdown.
  const sweepAll = () =>
    sweepOrphans({
      docker,
      hostId: config.hostId,
      instanceId,
      owned: () => new Set(),
      nowMs: now(),
      graceMs: 0,
    });
  const swept = await sweepAll();
  if (swept.length > 0) log.warn({ count: swept.length }, 'removed orphaned sandbox containers at start');

  const runtimes = await discoverRuntimes(docker, allManifests);
  const installed = runtimes.map((r) => r.manifest);
  if (installed.length === 0) log.warn('no runtime images installed; build them with images/cli.ts build');
  for (const r of runtimes)
    if (!r.current) log.warn({ language: r.manifest.language }, 'runtime image is out of date');

  const warmLanguages = installed
    .map((m) => m.language)
    .filter((l) => config.poolLanguages === undefined || config.poolLanguages.includes(l));
  const pool = new WarmPool({
    docker,
    logger: log,
    hostId: config.hostId,
    instanceId,
    manifests: installed,
    warmLanguages,
    targetSize: config.poolSize,
    refillConcurrency: config.poolRefillConcurrency,
    refillDelayMs: config.poolRefillDelayMs,
    limitsFor: (m) => profileLimits(config, m, cgroupParent),
    uids: new SandboxUids(config.sandboxUidRange),
  });
  const service = new RunService({
    pool,
    cgroup: cgroupReaderFor(cgroupLayout, config.cgroupRoot, cgroupParent),
    logger: log,
    manifests: installed,
    budget: {
      memoryMb: config.memoryBudgetMb,
      pids: config.pidsBudget,
      maxRunning: config.maxConcurrentRuns,
      orgShare: config.orgShare,
      maxQueued: config.maxQueuedRuns,
      maxQueuedPerOrg: config.maxQueuedPerOrg,
    },
    warmShare: { reserve: config.poolShortReserve, longRunMs: config.poolLongRunMs },
    pidsLimit: config.pidsLimit,
    defaultTimeoutMs: config.defaultTimeoutMs,
    maxTimeoutMs: config.maxTimeoutMs,
    defaultMemoryMb: config.defaultMemoryMb,
    maxMemoryMb: config.maxMemoryMb,
    maxOutputBytes: config.maxOutputBytes,
    cpuBoostMs: config.cpuBoostMs,
    startPriority,
    runCpus: config.nanoCpus / 1e9,
    workBytes: config.workBytes,
    now,
    // Runs only finish once the host is serving, long after `metrics` below exists.
    onResult(language, result, warm) {
      metrics.runs.inc({ language, status: result.status });
      metrics.duration.observe({ language, warm: String(warm) }, result.wallMs / 1000);
    },
  });
  const metrics = new HostMetrics({
    poolSizes: () => pool.sizes(),
    admission: () => service.admission(),
  });

  let sweepTimer: NodeJS.Timeout | undefined;
  const sweepUnowned = () => {
    sweepOrphans({
      docker,
      hostId: config.hostId,
      instanceId,
      owned: () => service.ownedContainerIds(),
      nowMs: now(),
      graceMs: ORPHAN_GRACE_MS,
    }).then(
      (ids) => {
        if (ids.length > 0) {
          metrics.orphansRemoved.inc(ids.length);
          log.warn({ count: ids.length }, 'removed orphaned sandbox containers');
        }
      },
      (err: unknown) => log.error({ err }, 'orphan sweep failed'),
    );
  };

  return {
    instanceId,
    runtimes,
    installed,
    warmLanguages,
    cgroupLayout,
    pool,
    service,
    metrics,
    run() {
      pool.start();
      sweepTimer = setInterval(sweepUnowned, config.orphanSweepIntervalMs);
      sweepTimer.unref();
    },
    async shutdown(surface) {
      surface.stopAccepting();
      service.stopAccepting();
      clearInterval(sweepTimer);
      log.info({ running: service.running, queued: service.queued }, 'shutting down: draining runs');
      if (!(await drained(service, config.drainTimeoutMs))) {
        log.warn('drain timeout: cancelling remaining runs');
        service.cancelAll();
        await service.idle();
      }
      await pool.close();
      surface.closeSockets();
      // Anything left with our labels (e.g. a creation that raced the shutdown) goes too.
      await sweepAll();
      surface.closeConnections();
      log.info('shutdown complete');
    },
  };
}

/** True when every run ended within the timeout; false when some are still going. */
function drained(service: RunService, timeoutMs: number): Promise<boolean> {
  return Promise.race([
    service.idle().then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref()),
  ]);
}

/** The container profile's limits for a runtime: the host's, raised where its compiler needs more. */
function profileLimits(config: HostConfig, m: RuntimeManifest, cgroupParent: string): ProfileLimits {
  return {
    memoryMb: Math.max(config.defaultMemoryMb, m.compileLimits?.memoryMb ?? 0),
    pidsLimit: config.pidsLimit,
    nanoCpus: config.nanoCpus,
    workTmpfsMb: config.tmpfsMb,
    tmpTmpfsMb: m.tmpTmpfsMb ?? config.tmpfsMb,
    fileSizeBytes: config.workBytes,
    openFiles: 256,
    runtime: config.sandboxRuntime,
    cgroupParent,
  };
}
