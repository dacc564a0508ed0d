/**
 * Host configuration: parsed once from the environment into a frozen, validated object. A bad value stops
 * the process with a message naming the variable (never a silent NaN or an unlimited default).
 */
import { LIMITS } from '@airlock/protocol';
import { z } from 'zod';
import type { SandboxRuntime } from './docker/profile.ts';
import { SANDBOX_RUNTIMES } from './docker/profile.ts';
import type { UidRange } from './docker/sandbox-uids.ts';
import type { MachineFacts } from './machine.ts';
import { defaultBudgets, defaultSandboxCpus, readMachineFacts } from './machine.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A switch: `1` on, `0` off (anything else is refused, not read as off). */
const flag = (fallback: boolean) =>
  z
    .enum(['0', '1'], { message: 'must be 0 or 1' })
    .default(fallback ? '1' : '0')
    .transform((v) => v === '1');

/** Fewer uids than this could run out while the host holds its runs and warm containers. */
const MIN_UID_RANGE = 1024;

/**
 * `first-last`: each live sandbox gets its own uid from it (docker/sandbox-uids.ts). Uids below 1000 are
 * the system's; 65534 is everyone's `nobody` and 65535 is not a valid id, so the range ends at 65533
 * (and stays inside the 65536 ids an engine's --userns-remap maps).
 */
const UidRangeSchema = z
  .string()
  .regex(/^\d{1,5}-\d{1,5}$/, 'must be first-last, e.g. 10000-59999')
  .transform((text) => {
    const [first, last] = text.split('-').map(Number);
    return { first: first ?? 0, last: last ?? 0 };
  })
  .refine((r) => r.first >= 1000 && r.last <= 65533, 'must lie within 1000-65533')
  .refine((r) => r.last - r.first + 1 >= MIN_UID_RANGE, `must hold at least ${MIN_UID_RANGE} uids`);

const PublicJwk = z
  .object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string().min(40) })
  .loose()
  .refine((jwk) => !('d' in jwk), 'must be the PUBLIC key (it contains a private part "d")');

/**
 * The edge's public key(s): one JWK, a JSON array of JWKs, or a JWKS (`{"keys": [...]}`). Several
 * keys let the edge rotate its signing key: the host accepts the current and the previous one until
 * the previous is removed (docs/auth.md, "Signing keys rotate").
 */
const EdgeKeysSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed)) return parsed;
      if (parsed && typeof parsed === 'object' && 'keys' in parsed) return (parsed as { keys: unknown }).keys;
      return [parsed];
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be JSON: a JWK, an array of JWKs or a JWKS {"keys": [...]}',
      });
      return z.NEVER;
    }
  })
  .pipe(z.array(PublicJwk).min(1).max(4));

/** The schema; defaults that depend on the machine (memory, process budget) come from `machine`. */
export const configSchema = (machine: MachineFacts) => {
  const budgets = defaultBudgets(machine);
  return (
    z
      .object({
        HOST: z.string().min(1).default('127.0.0.1'),
        PORT: int(0, 65535).default(8790),
        HOST_ID: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of [A-Za-z0-9._-]')
          .default('local'),
        EDGE_PUBLIC_JWK: EdgeKeysSchema,
        // Admission is by the budgets below; this is only an absolute cap (not the core count).
        MAX_CONCURRENT_RUNS: int(1, 1024).default(64),
        MAX_QUEUED_RUNS: int(0, 10_000).optional(),
        HOST_MEMORY_BUDGET_MB: int(64, 16 * 1024 * 1024).default(budgets.memoryMb),
        HOST_PIDS_BUDGET: int(10, 4_194_304).default(budgets.pids),
        HOST_ORG_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
        HOST_ORG_MAX_QUEUED: int(0, 10_000).optional(),
        POOL_SIZE: int(0, 64).default(1),
        POOL_LANGUAGES: z.string().optional(),
        POOL_REFILL_CONCURRENCY: int(1, 64).default(2),
        POOL_REFILL_DELAY_MS: int(0, 60_000).default(100),
        // The last warm containers are kept for organizations whose runs are short (runner/warm-share.ts).
        POOL_SHORT_RESERVE: int(0, 64).optional(),
        POOL_LONG_RUN_MS: int(1, 3_600_000).default(1000),
        RUN_DEFAULT_TIMEOUT_MS: int(LIMITS.minTimeoutMs, LIMITS.maxTimeoutMs).default(
          LIMITS.defaultTimeoutMs,
        ),
        RUN_MAX_TIMEOUT_MS: int(LIMITS.minTimeoutMs, LIMITS.maxTimeoutMs).default(LIMITS.maxTimeoutMs),
        RUN_DEFAULT_MEMORY_MB: int(LIMITS.minMemoryMb, LIMITS.maxMemoryMb).default(LIMITS.defaultMemoryMb),
        RUN_MAX_MEMORY_MB: int(LIMITS.minMemoryMb, LIMITS.maxMemoryMb).default(LIMITS.defaultMemoryMb),
        RUN_PIDS_LIMIT: int(10, 4096).default(100),
        RUN_CPUS: z.coerce.number().min(0.1).max(64).default(1),
        // What all sandboxes together may use (their parent cgroup's quota); 0 = no cap. Default: none while
        // the parent is an idle group, else the machine's cores minus half a core for the host and the
        // engine (docker/sandbox-cgroup.ts; lifecycle.ts applies the latter when the idle group cannot be).
        HOST_SANDBOX_CPUS: z.coerce.number().min(0).max(1024).optional(),
        // The CFS period of that cap (the kernel allows 1 ms to 1 s). When the burners have spent the
        // quota, every sandbox waits for the next period, a fresh hello world too. 10 ms shortened the
        // victim's program under runc in one day's sittings, within the spread of the next day's at 100;
        // the default stays the kernel's (docs/sandbox-host.md, "CPU").
        HOST_SANDBOX_CPU_PERIOD_MS: int(1, 1000).default(100),
        // The parent as an idle group: the host, the engine and the edge beside it go first (docs/sandbox-host.md, "CPU").
        HOST_SANDBOX_CPU_IDLE: flag(true),
        // CPU time a run uses at the default weight before its weight is lowered (runner/cpu-boost.ts).
        RUN_CPU_BOOST_MS: int(10, 3_600_000).default(300),
        // How long a run's start keeps the idle parent ordinary; 0 = never (runner/start-priority.ts).
        RUN_START_PRIORITY_MS: int(0, 10_000).default(200),
        RUN_TMPFS_MB: int(1, 4096).default(64),
        RUN_MAX_OUTPUT_BYTES: int(1024, LIMITS.maxOutputBytes).default(LIMITS.maxOutputBytes),
        DRAIN_TIMEOUT_MS: int(0, 600_000).default(30_000),
        IDLE_TIMEOUT_MS: int(1000, 3_600_000).default(LIMITS.idleTimeoutMs),
        ORPHAN_SWEEP_INTERVAL_MS: int(1000, 86_400_000).default(60_000),
        CGROUP_ROOT: z.string().default('/sys/fs/cgroup'),
        // The sandboxes' parent cgroup (a slice name under the systemd driver); default by the driver.
        CGROUP_PARENT: z
          .string()
          .regex(/^\/?[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/, 'a cgroup path or slice name')
          .refine((p) => !p.split('/').includes('..'), 'no .. segments')
          .optional(),
        DOCKER_SOCKET: z.string().default('/var/run/docker.sock'),
        SANDBOX_RUNTIME: z.enum(SANDBOX_RUNTIMES).default('runc'),
        SANDBOX_UID_RANGE: UidRangeSchema.optional(),
        LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .refine((c) => c.POOL_SHORT_RESERVE === undefined || c.POOL_SHORT_RESERVE <= c.POOL_SIZE, {
        message: 'must not exceed POOL_SIZE',
        path: ['POOL_SHORT_RESERVE'],
      })
      .refine((c) => c.RUN_DEFAULT_TIMEOUT_MS <= c.RUN_MAX_TIMEOUT_MS, {
        message: 'must not exceed RUN_MAX_TIMEOUT_MS',
        path: ['RUN_DEFAULT_TIMEOUT_MS'],
      })
      .refine((c) => c.RUN_DEFAULT_MEMORY_MB <= c.RUN_MAX_MEMORY_MB, {
        message: 'must not exceed RUN_MAX_MEMORY_MB',
        path: ['RUN_DEFAULT_MEMORY_MB'],
      })
      .refine((c) => c.RUN_MAX_MEMORY_MB <= c.HOST_MEMORY_BUDGET_MB, {
        message: 'must hold at least one run of RUN_MAX_MEMORY_MB',
        path: ['HOST_MEMORY_BUDGET_MB'],
      })
      .refine((c) => c.RUN_PIDS_LIMIT <= c.HOST_PIDS_BUDGET, {
        message: 'must hold at least one run of RUN_PIDS_LIMIT',
        path: ['HOST_PIDS_BUDGET'],
      })
      // A child's CFS quota above its parent's is refused by the kernel (v1): no container would start.
      .refine(
        (c) =>
          c.HOST_SANDBOX_CPUS === undefined || c.HOST_SANDBOX_CPUS === 0 || c.HOST_SANDBOX_CPUS >= c.RUN_CPUS,
        {
          message: 'must be 0 (no cap) or at least RUN_CPUS',
          path: ['HOST_SANDBOX_CPUS'],
        },
      )
  );
};

export interface HostConfig {
  readonly host: string;
  readonly port: number;
  readonly hostId: string;
  /** The edge's public keys (current first; more during a rotation). */
  readonly edgePublicJwks: readonly Readonly<Record<string, unknown>>[];
  readonly maxConcurrentRuns: number;
  readonly maxQueuedRuns: number;
  /** What the admitted runs' memory limits may add up to (host RAM minus headroom by default). */
  readonly memoryBudgetMb: number;
  /** What the admitted runs' process limits may add up to. */
  readonly pidsBudget: number;
  /** Fraction of each budget one organization may hold. */
  readonly orgShare: number;
  readonly maxQueuedPerOrg: number;
  readonly poolSize: number;
  /** Languages kept warm; undefined = every installed language. */
  readonly poolLanguages: readonly string[] | undefined;
  readonly poolRefillConcurrency: number;
  readonly poolRefillDelayMs: number;
  /** Idle warm containers (per language) that only organizations of short runs may take. */
  readonly poolShortReserve: number;
  /** Above this moving average of container hold times (ms), an organization's runs are long. */
  readonly poolLongRunMs: number;
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly defaultMemoryMb: number;
  readonly maxMemoryMb: number;
  readonly pidsLimit: number;
  readonly nanoCpus: number;
  /** Cores all sandboxes together may use (their parent cgroup's quota); 0 = no cap. */
  readonly sandboxCpus: number;
  /** The cap applied instead when the idle group cannot be (an older kernel or systemd): the same when set. */
  readonly sandboxCpusWithoutIdle: number;
  /** The CFS period of that cap, in ms. */
  readonly sandboxCpuPeriodMs: number;
  /** The parent is an idle group: every process beside it goes first. */
  readonly sandboxCpuIdle: boolean;
  readonly cpuBoostMs: number;
  /** How long a run's start keeps the idle parent ordinary, in ms; 0 = never. */
  readonly startPriorityMs: number;
  readonly tmpfsMb: number;
  /** The same, in bytes: what a run's files may fill (checked here, advertised in /runtimes). */
  readonly workBytes: number;
  readonly maxOutputBytes: number;
  readonly drainTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly orphanSweepIntervalMs: number;
  readonly cgroupRoot: string;
  /** The sandboxes' parent cgroup; undefined = the default for the engine's cgroup driver. */
  readonly cgroupParent: string | undefined;
  readonly dockerSocket: string;
  /** The engine runtime sandboxes run under; the host refuses to start if the engine lacks it. */
  readonly sandboxRuntime: SandboxRuntime;
  /** Each sandbox's own uid comes from this range; undefined = every sandbox is 65534. */
  readonly sandboxUidRange: UidRange | undefined;
  readonly logLevel: string;
}

type ConfigResult = { ok: true; config: HostConfig } | { ok: false; errors: string[] };

export function parseConfig(
  env: Readonly<Record<string, string | undefined>>,
  machine: MachineFacts = readMachineFacts(),
): ConfigResult {
  // Empty strings count as unset, so `PORT=` in a shell file means "default", not 0.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema(machine).safeParse(cleaned);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? 'config');
        // Never echo the value itself: it may be a secret.
        return i.code === 'invalid_type' && env[name] === undefined
          ? `${name} is required`
          : `${name}: ${i.message}`;
      }),
    };
  }
  const c = parsed.data;
  const maxQueuedRuns = c.MAX_QUEUED_RUNS ?? c.MAX_CONCURRENT_RUNS * 2;
  const config: HostConfig = {
    host: c.HOST,
    port: c.PORT,
    hostId: c.HOST_ID,
    edgePublicJwks: Object.freeze(c.EDGE_PUBLIC_JWK.map((k) => Object.freeze({ ...k }))),
    maxConcurrentRuns: c.MAX_CONCURRENT_RUNS,
    maxQueuedRuns,
    memoryBudgetMb: c.HOST_MEMORY_BUDGET_MB,
    pidsBudget: c.HOST_PIDS_BUDGET,
    orgShare: c.HOST_ORG_SHARE,
    maxQueuedPerOrg: Math.min(
      maxQueuedRuns,
      c.HOST_ORG_MAX_QUEUED ?? Math.max(1, Math.ceil(maxQueuedRuns / 4)),
    ),
    poolSize: c.POOL_SIZE,
    poolLanguages: c.POOL_LANGUAGES
      ? Object.freeze(
          c.POOL_LANGUAGES.split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        )
      : undefined,
    poolRefillConcurrency: c.POOL_REFILL_CONCURRENCY,
    poolRefillDelayMs: c.POOL_REFILL_DELAY_MS,
    poolShortReserve: c.POOL_SHORT_RESERVE ?? Math.floor(c.POOL_SIZE / 2),
    poolLongRunMs: c.POOL_LONG_RUN_MS,
    defaultTimeoutMs: c.RUN_DEFAULT_TIMEOUT_MS,
    maxTimeoutMs: c.RUN_MAX_TIMEOUT_MS,
    defaultMemoryMb: c.RUN_DEFAULT_MEMORY_MB,
    maxMemoryMb: c.RUN_MAX_MEMORY_MB,
    pidsLimit: c.RUN_PIDS_LIMIT,
    nanoCpus: Math.round(c.RUN_CPUS * 1e9),
    sandboxCpus:
      c.HOST_SANDBOX_CPUS ?? (c.HOST_SANDBOX_CPU_IDLE ? 0 : defaultSandboxCpus(machine, c.RUN_CPUS)),
    sandboxCpusWithoutIdle: c.HOST_SANDBOX_CPUS ?? defaultSandboxCpus(machine, c.RUN_CPUS),
    sandboxCpuPeriodMs: c.HOST_SANDBOX_CPU_PERIOD_MS,
    sandboxCpuIdle: c.HOST_SANDBOX_CPU_IDLE,
    cpuBoostMs: c.RUN_CPU_BOOST_MS,
    startPriorityMs: c.RUN_START_PRIORITY_MS,
    tmpfsMb: c.RUN_TMPFS_MB,
    workBytes: c.RUN_TMPFS_MB * 1024 * 1024,
    maxOutputBytes: c.RUN_MAX_OUTPUT_BYTES,
    drainTimeoutMs: c.DRAIN_TIMEOUT_MS,
    idleTimeoutMs: c.IDLE_TIMEOUT_MS,
    orphanSweepIntervalMs: c.ORPHAN_SWEEP_INTERVAL_MS,
    cgroupRoot: c.CGROUP_ROOT,
    cgroupParent: c.CGROUP_PARENT,
    dockerSocket: c.DOCKER_SOCKET,
    sandboxRuntime: c.SANDBOX_RUNTIME,
    sandboxUidRange: c.SANDBOX_UID_RANGE,
    logLevel: c.LOG_LEVEL,
  };
  return { ok: true, config: Object.freeze(config) };
}
