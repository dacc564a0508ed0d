import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The D1 data model. Times are epoch milliseconds. Secrets are never stored in the clear: tokens
 * and API keys as SHA-256, provider keys as AES-256-GCM ciphertext. Tenant-owned rows carry the
 * organization id (and user id) that every repository query is scoped by.
 */

const createdAt = () => integer('created_at').notNull();

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  /** Normalized (trimmed, lower-cased). */
  email: text('email').notNull().unique(),
  /** Self-describing hash string; null for social-only accounts. */
  passwordHash: text('password_hash'),
  isAdmin: integer('is_admin', { mode: 'boolean' }).notNull().default(false),
  /** Access tokens issued before this time (epoch ms) are refused (set by a reset or password change). */
  tokensValidAfter: integer('tokens_valid_after').notNull().default(0),
  /**
   * When the address was proven: a followed confirmation link, or a provider-verified address at a
   * social sign-up. Null: unconfirmed (no invitations; a social login with this address wins it).
   */
  emailVerifiedAt: integer('email_verified_at'),
  createdAt: createdAt(),
  updatedAt: integer('updated_at').notNull(),
});

export const identities = sqliteTable(
  'identities',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider', { enum: ['google', 'github'] }).notNull(),
    providerUserId: text('provider_user_id').notNull(),
    email: text('email'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('identities_provider_subject').on(t.provider, t.providerUserId),
    // One identity per provider and user: unlinking names the provider (DELETE /v1/me/identities/{p}).
    uniqueIndex('identities_user_provider').on(t.userId, t.provider),
  ],
);

/**
 * OAuth authorization flows in progress (login, link, re-verification), one row per `state`, kept
 * by the SHA-256 of the state so a D1 read gives nothing to replay. Claimed (deleted) by the first
 * callback: a replayed state finds nothing. The PKCE verifier is never stored here: it lives only in
 * the browser's flow cookie, so neither a D1 leak nor a stolen code alone can redeem the flow.
 */
export const oauthFlows = sqliteTable(
  'oauth_flows',
  {
    stateHash: text('state_hash').primaryKey(),
    provider: text('provider', { enum: ['google', 'github'] }).notNull(),
    purpose: text('purpose', { enum: ['login', 'link', 'reauth'] }).notNull(),
    /** The signed-in user who started a link or re-verification; null for a login. */
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** OpenID Connect nonce (Google); null for GitHub. */
    nonce: text('nonce'),
    /** A console path from the allowlist (OAUTH_REDIRECT_PATHS). */
    redirectPath: text('redirect_path').notNull(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('oauth_flows_expires').on(t.expiresAt)],
);

/** Email confirmation links (hash only), single use, for the address the user had when it was sent. */
export const emailVerifications = sqliteTable(
  'email_verifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [
    index('email_verifications_user').on(t.userId),
    index('email_verifications_expires').on(t.expiresAt),
  ],
);

export const orgs = sqliteTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** The personal organization every user gets at registration. */
  personal: integer('personal', { mode: 'boolean' }).notNull().default(false),
  /**
   * Task tokens (in + out) the organization allows itself per UTC calendar month (issue 13); null:
   * no cap. Set by owners and admins (PATCH /v1/orgs/{id}); checked before every model call.
   */
  monthlyTokenCap: integer('monthly_token_cap'),
  createdAt: createdAt(),
});

export const memberships = sqliteTable(
  'memberships',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member'] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] }), index('memberships_user').on(t.userId)],
);

/**
 * One row per login. Revocation is recorded here, on the family itself, so a token the family gains
 * after it was revoked (a racing rotation) is dead as well. `authenticatedAt` is the sign-in time the
 * access tokens of the family carry (`auth_time`, for recent-authentication checks).
 */
export const refreshFamilies = sqliteTable(
  'refresh_families',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    authenticatedAt: integer('authenticated_at').notNull(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('refresh_families_user').on(t.userId), index('refresh_families_expires').on(t.expiresAt)],
);

export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** One family per login; replay of a used token revokes the whole family. */
    familyId: text('family_id').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    /** The token this one replaced; unique, so one token can be rotated only once. */
    parentId: text('parent_id').unique(),
    createdAt: createdAt(),
    /** Absolute expiry of the family, carried to each rotated token. */
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    index('refresh_tokens_family').on(t.familyId),
    index('refresh_tokens_user').on(t.userId),
    index('refresh_tokens_expires').on(t.expiresAt),
  ],
);

export const passwordResets = sqliteTable(
  'password_resets',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('password_resets_user').on(t.userId), index('password_resets_expires').on(t.expiresAt)],
);

/** Messages to send (password reset mail); a pluggable sender drains it. */
export const outbox = sqliteTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
    sentAt: integer('sent_at'),
    attempts: integer('attempts').notNull().default(0),
  },
  (t) => [index('outbox_unsent').on(t.sentAt, t.createdAt)],
);

export const providerKeys = sqliteTable(
  'provider_keys',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider', { enum: ['openai', 'anthropic', 'openrouter', 'google'] }).notNull(),
    /** base64url AES-256-GCM ciphertext (with tag) and its 96-bit IV. */
    ciphertext: text('ciphertext').notNull(),
    iv: text('iv').notNull(),
    /** Version of the key-encryption key; part of the AAD. */
    keyVersion: integer('key_version').notNull(),
    hint: text('hint').notNull(),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.provider] })],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Visible, non-secret identifier shown in lists (`ak_<prefix>_...`). */
    prefix: text('prefix').notNull().unique(),
    secretHash: text('secret_hash').notNull().unique(),
    /** JSON array of scopes. */
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at'),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_keys_org_user').on(t.orgId, t.userId)],
);

export const runs = sqliteTable(
  'runs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    apiKeyId: text('api_key_id'),
    language: text('language').notNull(),
    status: text('status').notNull(),
    hostId: text('host_id'),
    exitCode: integer('exit_code'),
    signal: text('signal'),
    stdout: text('stdout'),
    stderr: text('stderr'),
    stdoutTruncated: integer('stdout_truncated', { mode: 'boolean' }).notNull().default(false),
    stderrTruncated: integer('stderr_truncated', { mode: 'boolean' }).notNull().default(false),
    wallMs: integer('wall_ms'),
    cpuMs: integer('cpu_ms'),
    peakMemoryBytes: integer('peak_memory_bytes'),
    createdAt: createdAt(),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
    /** The AI task this run is an attempt of (issue 13); null for plain runs. */
    taskId: text('task_id'),
  },
  (t) => [
    index('runs_org_user_created').on(t.orgId, t.userId, t.createdAt),
    index('runs_org_status').on(t.orgId, t.status),
    index('runs_user_status').on(t.userId, t.status),
    index('runs_finished').on(t.finishedAt),
    index('runs_task').on(t.taskId),
  ],
);

/**
 * An uploaded file (issue 15). The bytes live in R2 under `orgs/<orgId>/files/<id>` (never the
 * user's name); `name` is the sanitised display name. `manifest` is the archive inspection's JSON
 * (entries, sizes, renames) for zip/tar/tar.gz, null for other files. Scoped like runs.
 */
export const files = sqliteTable(
  'files',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    size: integer('size').notNull(),
    /** `zip`, `tar`, `tar.gz` or `file`. */
    kind: text('kind').notNull(),
    contentType: text('content_type').notNull(),
    /** Hex SHA-256 of the bytes: what a run token covers when the file is mounted. */
    sha256: text('sha256').notNull(),
    manifest: text('manifest', { mode: 'json' }).$type<unknown>(),
    createdAt: createdAt(),
  },
  (t) => [index('files_org_user_created').on(t.orgId, t.userId, t.createdAt), index('files_org').on(t.orgId)],
);

/**
 * An invitation to join an organization. Adding a member creates one; the invitee (the account with
 * that email, once signed in) accepts it, and only then becomes a member. Expired or declined rows
 * are removed by the housekeeping cron.
 */
export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    /** Normalized email of the invitee. */
    email: text('email').notNull(),
    role: text('role', { enum: ['admin', 'member'] }).notNull(),
    invitedBy: text('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
    acceptedAt: integer('accepted_at'),
  },
  (t) => [uniqueIndex('invitations_org_email').on(t.orgId, t.email), index('invitations_email').on(t.email)],
);

/** Append-only (UPDATE and DELETE are refused by triggers in the migration). Never holds secrets. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    at: integer('at').notNull(),
    action: text('action').notNull(),
    outcome: text('outcome', { enum: ['success', 'failure'] })
      .notNull()
      .default('success'),
    actorUserId: text('actor_user_id'),
    actorApiKeyId: text('actor_api_key_id'),
    orgId: text('org_id'),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    metadata: text('metadata', { mode: 'json' })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
  },
  (t) => [
    index('audit_at').on(t.at),
    index('audit_actor').on(t.actorUserId, t.at),
    index('audit_org').on(t.orgId, t.at),
  ],
);

// ── AI tasks (issue 13) ─────────────────────────────────────────────────────────────────────────
// One block, kept together for merging: the `tasks` table here plus `runs.task_id` above.

/** One program the model wrote and what became of it (JSON in `tasks.attempts`). */
export interface TaskAttemptRecord {
  attempt: number;
  /** The run of this attempt; null when no program could be run. */
  runId: string | null;
  files: { name: string; content: string }[];
  inputTokens: number;
  outputTokens: number;
  /** Provider latency: time from the call to its first token. */
  firstTokenMs: number | null;
  /** The run's status, or why there was none. */
  outcome: string;
}

/**
 * The user's prompt and the model's programs are kept for their history only (never logged); the
 * provider key is never here. Deleting a task deletes its runs (the route does both).
 */
export const tasks = sqliteTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    apiKeyId: text('api_key_id'),
    provider: text('provider', { enum: ['openai', 'anthropic', 'openrouter', 'google'] }).notNull(),
    model: text('model').notNull(),
    language: text('language').notNull(),
    prompt: text('prompt').notNull(),
    /** running, succeeded (a run exited 0), failed (every attempt failed), error (see error_code). */
    status: text('status').notNull(),
    errorCode: text('error_code'),
    maxAttempts: integer('max_attempts').notNull(),
    attempts: text('attempts', { mode: 'json' }).$type<TaskAttemptRecord[]>().notNull().default(sql`'[]'`),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    createdAt: createdAt(),
    finishedAt: integer('finished_at'),
  },
  (t) => [index('tasks_org_user_created').on(t.orgId, t.userId, t.createdAt)],
);

/**
 * Token usage per task, for billing, `GET /v1/usage` and the organization's monthly cap. Kept apart
 * from `tasks` so that erasing a task (its prompt and programs) does not erase what it cost: this row
 * holds counts only, no content, and survives the task. It goes with its organization; the user id
 * has no foreign key, so an organization's month total does not drop when a member leaves or is
 * deleted (the id is an opaque UUID). Tokens count in the month the task was created.
 */
export const taskUsage = sqliteTable(
  'task_usage',
  {
    taskId: text('task_id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    createdAt: createdAt(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
  },
  (t) => [
    index('task_usage_org_created').on(t.orgId, t.createdAt),
    index('task_usage_org_user_created').on(t.orgId, t.userId, t.createdAt),
  ],
);

/**
 * `Idempotency-Key` records of POST /v1/runs and POST /v1/tasks (middleware/idempotency.ts): one row
 * per (organization, user, credential, key), holding the request's hash and, once answered, the
 * answer to replay. D1 rather than a Durable Object: claiming a key is one INSERT … ON CONFLICT DO
 * NOTHING (atomic in D1's single writer, so two concurrent requests cannot both claim it), the rows
 * cascade with their organization and user, and the housekeeping cron can delete expired rows with
 * one statement, which per-key objects would not allow (their storage is not enumerable).
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** `user` for an access token, `api_key:<id>` for an API key: each credential has its own keys. */
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    /** SHA-256 (base64url) of method, path and body: the same key with another request is refused. */
    requestHash: text('request_hash').notNull(),
    /** Who holds the key while the first request is in flight; the answer is written under it. */
    lockId: text('lock_id').notNull(),
    /** Past this, an unanswered key is taken to be abandoned (the Worker died mid-request). */
    lockedUntil: integer('locked_until').notNull(),
    /** The first answer: null while in flight. The body has no stream ticket (one is made on replay). */
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    /** Headers replayed with the answer (Retry-After), JSON. */
    responseHeaders: text('response_headers', { mode: 'json' }).$type<Record<string, string>>(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.userId, t.principal, t.key] }),
    index('idempotency_keys_expires').on(t.expiresAt),
  ],
);
