import { LIMITS } from '@airlock/protocol';

/**
 * The edge's numbers, each defined once (DESIGN.md, "The numbers we keep", and the timings that
 * follow from them). Three kinds:
 * - SETTINGS: numbers an operator may change, each with its default, the range a value must fall in
 *   and the Worker var that overrides it (`[vars]` in wrangler.toml; parsed by config.ts,
 *   domain/auth/config.ts and domain/runs/config.ts, which take their defaults from here).
 * - RATE_LIMITS: the same for rate rules, written `<limit>/<window>` (window in s, m or h).
 * - FIXED: numbers with no var, because changing one is a code change (a wire contract, a storage
 *   bound) rather than an operating decision.
 * HSTS (one year) is written out once, as the header, in middleware/security-headers.ts.
 * The wire protocol's own limits (code, stdin and output sizes, run timeouts, frame sizes) are
 * `LIMITS` in @airlock/protocol; the sandbox host's knobs are sandbox-host/src/config.ts.
 */

/** A number an operator may change: the Worker var, its default and the bounds it must respect. */
export interface Setting {
  readonly envVar: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** A rate rule an operator may change: the Worker var and its default, e.g. `5/1m`. */
export interface RateSetting {
  readonly envVar: string;
  readonly default: `${number}/${number}${'s' | 'm' | 'h'}`;
}

/** Units, for the numbers below and for code that converts between them. */
export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
const HOUR_S = 3600;
export const HOUR_MS = HOUR_S * SECOND_MS;
const DAY_S = 24 * HOUR_S;
export const DAY_MS = DAY_S * SECOND_MS;
export const KIB = 1024;
const MIB = 1024 * KIB;

/** A duration in whole days, for messages and documentation. */
export const days = (ms: number): number => ms / DAY_MS;

export const SETTINGS = {
  /** Default request body limit (routes with their own limit, such as run creation, set theirs). */
  bodyLimitBytes: { envVar: 'BODY_LIMIT_BYTES', default: MIB, min: 1, max: Number.MAX_SAFE_INTEGER },
  /** Access token (JWT) lifetime: 15 minutes. */
  accessTokenTtlSeconds: { envVar: 'ACCESS_TOKEN_TTL_SECONDS', default: 15 * 60, min: 60, max: HOUR_S },
  /** Absolute expiry of a refresh-token family: 30 days. */
  refreshTokenTtlSeconds: {
    envVar: 'REFRESH_TOKEN_TTL_SECONDS',
    default: 30 * DAY_S,
    min: HOUR_S,
    max: 90 * DAY_S,
  },
  /** Password-reset token lifetime: 30 minutes. */
  passwordResetTtlSeconds: { envVar: 'PASSWORD_RESET_TTL_SECONDS', default: 30 * 60, min: 60, max: DAY_S },
  /** Argon2id m (KiB), t and p: OWASP's first recommendation, m = 19 MiB, t = 2, p = 1. */
  passwordHashMemoryKib: { envVar: 'PASSWORD_HASH_MEMORY_KIB', default: 19 * KIB, min: 8, max: 256 * KIB },
  passwordHashIterations: { envVar: 'PASSWORD_HASH_ITERATIONS', default: 2, min: 1, max: 16 },
  passwordHashParallelism: { envVar: 'PASSWORD_HASH_PARALLELISM', default: 1, min: 1, max: 4 },
  /** Runs not yet final, per organization, beyond which creation answers 429 `run_concurrency_limit`. */
  runMaxConcurrentPerOrg: { envVar: 'RUN_MAX_CONCURRENT_PER_ORG', default: 10, min: 1, max: 10_000 },
  /** Runs not yet final, per user across all their organizations (organizations do not multiply it). */
  runMaxConcurrentPerUser: { envVar: 'RUN_MAX_CONCURRENT_PER_USER', default: 10, min: 1, max: 10_000 },
  /** Body limit of POST /v1/runs: 256 KiB of source plus 1 MiB of stdin, JSON-escaped, fits a host frame. */
  runBodyLimitBytes: {
    envVar: 'RUN_BODY_LIMIT_BYTES',
    default: LIMITS.maxClientFrameBytes - 4 * KIB,
    min: KIB,
    max: LIMITS.maxClientFrameBytes - 4 * KIB,
  },
  /** How long `wait: true` holds the request before answering 202: just under the 15 s request timeout. */
  runWaitMaxMs: { envVar: 'RUN_WAIT_MAX_MS', default: 14_000, min: SECOND_MS, max: 14_500 },
  /** With every sandbox host at capacity, how long a run waits for a place before 503 `sandbox_busy`. */
  runBusyWaitMs: { envVar: 'RUN_BUSY_WAIT_MS', default: 2 * SECOND_MS, min: 0, max: 10 * SECOND_MS },
  /** IPv6 clients are rate-limited by this prefix (one /64 is one subscriber); IPv4 by the address. */
  ipv6PrefixBits: { envVar: 'RATE_LIMIT_IPV6_PREFIX', default: 64, min: 32, max: 128 },
  /** Sudo mode: a sign-in within this many seconds counts as recent (API keys, members, deletion). */
  recentAuthSeconds: { envVar: 'RECENT_AUTH_SECONDS', default: 5 * 60, min: 30, max: HOUR_S },
  /** Non-personal organizations one user may own (create). */
  maxOrgsPerUser: { envVar: 'MAX_ORGS_PER_USER', default: 10, min: 1, max: 1000 },
  /** Invitation lifetime: 7 days. */
  invitationTtlSeconds: {
    envVar: 'INVITATION_TTL_SECONDS',
    default: 7 * DAY_S,
    min: HOUR_S,
    max: 30 * DAY_S,
  },
  /** How long an OAuth sign-in, link or re-verification may take from start to callback: 10 minutes. */
  oauthFlowTtlSeconds: { envVar: 'OAUTH_FLOW_TTL_SECONDS', default: 10 * 60, min: 60, max: HOUR_S },
  /** Email confirmation link lifetime: 24 hours. */
  emailVerificationTtlSeconds: {
    envVar: 'EMAIL_VERIFICATION_TTL_SECONDS',
    default: DAY_S,
    min: 5 * 60,
    max: 7 * DAY_S,
  },
  /** Stored run output is erased by the housekeeping cron this many days after the run finished. */
  runOutputRetentionDays: { envVar: 'RUN_OUTPUT_RETENTION_DAYS', default: 30, min: 1, max: 3650 },
  // AI tasks (issue 13; domain/tasks/config.ts).
  /** Prompt size in UTF-8 bytes: 32 KiB. */
  taskMaxPromptBytes: { envVar: 'TASK_MAX_PROMPT_BYTES', default: 32 * KIB, min: 1, max: 256 * KIB },
  /** Output tokens one model call may produce. */
  taskMaxOutputTokens: { envVar: 'TASK_MAX_OUTPUT_TOKENS', default: 4096, min: 16, max: 65_536 },
  /** Attempts (program + run) a task may make; a request asks for 1 up to this. */
  taskMaxAttempts: { envVar: 'TASK_MAX_ATTEMPTS', default: 3, min: 1, max: 3 },
  /** The whole task, every model call and run included: 120 s. */
  taskTimeoutMs: { envVar: 'TASK_TIMEOUT_MS', default: 2 * MINUTE_MS, min: SECOND_MS, max: 5 * MINUTE_MS },
  // Files and archives (issue 15; domain/files/config.ts).
  /** One upload: 10 MiB. */
  fileMaxBytes: { envVar: 'FILE_MAX_BYTES', default: 10 * MIB, min: 1, max: 100 * MIB },
  /** Everything an organization keeps in files: 100 MiB. */
  orgFileQuotaBytes: { envVar: 'ORG_FILE_QUOTA_BYTES', default: 100 * MIB, min: 1, max: 1024 * 1024 * MIB },
  /** Archive inspection: entries, total unpacked bytes and unpacked bytes per archive byte. */
  archiveMaxEntries: { envVar: 'ARCHIVE_MAX_ENTRIES', default: 10_000, min: 1, max: 100_000 },
  archiveMaxUnpackedBytes: {
    envVar: 'ARCHIVE_MAX_UNPACKED_BYTES',
    default: 100 * MIB,
    min: 1,
    max: 1024 * MIB,
  },
  archiveMaxRatio: { envVar: 'ARCHIVE_MAX_RATIO', default: 100, min: 1, max: 10_000 },
  /**
   * The largest /work a run's files may fill, in MiB: the hosts advertise their own /work (their
   * RUN_TMPFS_MB) in /runtimes and the edge takes the smallest, bounded by this; a host that does
   * not advertise it is taken to have this. Files that do not fit are refused with
   * `files_too_large_for_run` before any run is recorded.
   */
  runTmpfsMb: { envVar: 'RUN_TMPFS_MB', default: 64, min: 1, max: 4096 },
  /**
   * A run's files travel to the host after its run frame (domain/runs/transfer.ts): the host must
   * have them and accept the run within the time they take at this link speed (1 MiB/s: 64 MiB in
   * 64 s), and never less than the floor (10 s). The handshake keeps FIXED.hostConnectTimeoutMs.
   */
  runFileTransferMinBytesPerSecond: {
    envVar: 'RUN_FILE_TRANSFER_MIN_BYTES_PER_SECOND',
    default: MIB,
    min: 16 * KIB,
    max: 1024 * MIB,
  },
  runFileTransferFloorMs: {
    envVar: 'RUN_FILE_TRANSFER_FLOOR_MS',
    default: 10 * SECOND_MS,
    min: SECOND_MS,
    max: 2 * MINUTE_MS,
  },
} as const satisfies Record<string, Setting>;

export const RATE_LIMITS = {
  /** Sign-in attempts per IP (also password change and account deletion, per user). */
  login: { envVar: 'RATE_LIMIT_LOGIN', default: '5/1m' },
  /** Registrations per IP. */
  register: { envVar: 'RATE_LIMIT_REGISTER', default: '3/1m' },
  /** Forgot-password and reset requests per IP. */
  passwordReset: { envVar: 'RATE_LIMIT_PASSWORD_RESET', default: '3/1h' },
  /** Authenticated API requests per principal. */
  api: { envVar: 'RATE_LIMIT_API', default: '120/1m' },
  /** Run creations per user. */
  runs: { envVar: 'RATE_LIMIT_RUNS', default: '30/1m' },
  /**
   * Output per organization, in KiB (domain/runs/output-budget.ts): 8 MiB a minute, eight runs at the
   * full output limit, where a looping output flood made ~36 and slowed every tenant (issue 10).
   */
  output: { envVar: 'RATE_LIMIT_OUTPUT_KIB', default: '8192/1m' },
  /** Refreshes and logouts per IP. */
  refresh: { envVar: 'RATE_LIMIT_REFRESH', default: '30/1m' },
  logout: { envVar: 'RATE_LIMIT_LOGOUT', default: '30/1m' },
  /** Failed authentications (bad tokens, API keys) per IP; over it, 429 before any D1 read. */
  authFailures: { envVar: 'RATE_LIMIT_AUTH_FAILURES', default: '20/1m' },
  /** Failed logins and reset requests per account (by email, known or not), across all IPs. */
  account: { envVar: 'RATE_LIMIT_ACCOUNT', default: '10/15m' },
  /** OAuth flow starts and callbacks per IP (issue 14): each start writes a D1 row. */
  oauth: { envVar: 'RATE_LIMIT_OAUTH', default: '20/1m' },
  /** Task creations per user (issue 13). */
  tasks: { envVar: 'RATE_LIMIT_TASKS', default: '10/1m' },
} as const satisfies Record<string, RateSetting>;

export const FIXED = {
  // HTTP surface
  /** How long a browser may cache a CORS preflight answer. */
  corsPreflightMaxAgeSeconds: 600,
  /** How long clients may cache GET /v1/openapi.json. */
  openApiCacheSeconds: 300,

  // API keys
  /** Active (not revoked, not expired) API keys per user. */
  maxActiveApiKeysPerUser: 25,
  /** Latest expiry a new API key may ask for, from now. */
  apiKeyMaxLifetimeMs: 366 * DAY_MS,
  /** last_used_at is written at most once per this interval per key, to keep writes off the hot path. */
  apiKeyLastUsedWriteIntervalMs: MINUTE_MS,

  // Lists
  /** Page sizes of GET /v1/runs. */
  runsPageDefault: 20,
  runsPageMax: 100,
  /** Page sizes of the admin lists. */
  adminPageDefault: 50,
  adminPageMax: 200,
  /** The admin reports' period: the last 30 days unless asked, at most 366 days. */
  adminDefaultPeriodMs: 30 * DAY_MS,
  adminMaxPeriodMs: 366 * DAY_MS,

  // Runs
  /** Stream tickets are single-use and valid this long (DESIGN.md contract: 60 s). */
  streamTicketTtlMs: MINUTE_MS,
  /** Lifetime of a host token (the host refuses more than 60 s). */
  runTokenLifetimeSeconds: 30,
  /** How long a failed sandbox host sits out of selection. */
  hostBackoffMs: 15 * SECOND_MS,
  /** How long a host lease lives without a release. */
  hostLeaseTtlMs: 2 * MINUTE_MS,
  /** How long the HostRegistry reuses a host's /runtimes answer, and how long it waits for one. */
  runtimesCacheMs: 10 * SECOND_MS,
  runtimesFetchTimeoutMs: 2 * SECOND_MS,
  /**
   * How long a Worker isolate reuses the HostRegistry's runtime list before asking it again: run
   * validation then costs no Durable Object round trip (issue 18). Short, as the list changes only
   * when a host's images do.
   */
  runtimesIsolateCacheMs: 5 * SECOND_MS,
  /** A run older than this no longer counts towards the concurrency cap even if never finished. */
  activeRunHorizonMs: 10 * MINUTE_MS,
  /** Frames a run session keeps for reconnecting watchers. */
  replayBufferBytes: 3 * MIB,
  /**
   * Output arriving within this long of the last output frame a run session sent is merged into one
   * frame (one storage write and one broadcast instead of one per host frame: issue 10); it is also the
   * longest any output waits. Output after a quiet spell (a run's first) is never held.
   */
  outputCoalesceWindowMs: 20,
  /** A merged output frame is sent as soon as it holds this many UTF-16 code units. */
  outputCoalesceMaxChars: 64 * KIB,
  /** D1 holds at most 2,000,000 bytes in one row: stored output is cut to fit under it. */
  storedOutputBudgetBytes: 1_800_000,
  /** How long a host may take to answer the handshake and accept the run. */
  hostConnectTimeoutMs: 5 * SECOND_MS,
  /**
   * A run's `running` mark waits this long after its `started` frame: a run that ends sooner never
   * needs it (its result write sets the status, host and start time in one statement), which spares
   * the many short runs one D1 write each (issue 18). History shows a longer run as `running` this
   * much later; its live stream has the `started` frame at once.
   */
  runStartedMarkDelayMs: 250,
  /**
   * A run session keeps its state (meta, frames, tickets, the watchdog alarm) in memory only for
   * this long; a run still going then is written to storage, and one that ended sooner is written
   * once, at its end. Locally every commit is an fsync on workerd's one thread, so a short run's
   * life costs one commit instead of eight (issue 10). A run whose session dies inside this window
   * has no watchdog to end it: its row stays `queued`/`running`, and it stops counting against
   * the concurrency caps after `activeRunHorizonMs`.
   */
  runPersistDelayMs: SECOND_MS,
  /** Backstop: a run not final this long after acceptance is ended `host_lost` (max run 15 s + compile). */
  runWatchdogMs: 90 * SECOND_MS,
  /** How long a run's transcript stays in its session after the end. */
  runTranscriptRetainMs: 60 * MINUTE_MS,
  /** Storage retries inside a run session: attempts, and the step of the linear back-off between them. */
  sessionRetryAttempts: 3,
  sessionRetryStepMs: 50,
  /** Pause between two rounds over the busy hosts while a run waits for a place (runBusyWaitMs). */
  busyHostRetryPauseMs: 250,
  /** `Retry-After` of a 503 `sandbox_busy`, in seconds. */
  sandboxBusyRetryAfterSeconds: 2,

  // Idempotency-Key (POST /v1/runs, POST /v1/tasks)
  /** How long a key's first answer is kept and replayed (Stripe's 24 h). */
  idempotencyKeyTtlMs: DAY_MS,
  /** Longest a key stays claimed by a request in flight: the longest request (a task's, which waits for its first token) plus a minute. */
  idempotencyLockMs: SETTINGS.taskTimeoutMs.max + MINUTE_MS,
  /** Longest key, as Stripe: 255 printable ASCII characters. */
  idempotencyKeyMaxLength: 255,
  /** Answers larger than this are not stored whole (a D1 row holds 2,000,000 bytes): the route re-reads them. */
  idempotencyStoredBodyMaxBytes: 1_000_000,

  // Usage
  /** The largest monthly task token cap an organization may set (a bound for validation, not a default). */
  orgTokenCapMax: 1_000_000_000_000,

  // Files (issue 15)
  /** Page sizes of GET /v1/files. */
  filesPageDefault: 50,
  filesPageMax: 200,
  /** Below this many unpacked bytes the ratio limit does not apply (a small text file compresses well). */
  archiveRatioFloorBytes: MIB,
  /** What a multipart upload may carry beyond the file itself (boundaries, part headers). */
  multipartOverheadBytes: 16 * KIB,
  /** A display name is cut to this many characters. */
  fileNameMaxLength: 128,

  // Rate limiter and outbox
  /** A limiter object's state is dropped this long after its window ends. */
  rateLimiterCleanupSlackMs: SECOND_MS,
  /** Mail sends tried per message before it stays unsent, and messages sent per drain. */
  outboxMaxAttempts: 5,
  outboxBatchSize: 20,
} as const;
