import type {
  RunRequest as ProtocolRunRequest,
  RunResult,
  RunViewStatus,
  TaskEndStatus,
  TaskStatus,
} from '@airlock/protocol';
import type { ArchiveKind, ArchiveManifest } from '@airlock/protocol/archive';

/**
 * Shapes of the API's answers (DESIGN.md "The contract (v1)"); more fields may appear. The one copy
 * for TypeScript callers: the console imports these (type-only) too. Statuses and the archive
 * manifest come from the protocol, where the edge takes them.
 */

export type { RunResult, RunViewStatus, TaskEndStatus, TaskStatus };

/**
 * The body of POST /v1/runs: the protocol's run request, with uploaded files named by id (`fileIds`)
 * rather than the `mounts` the edge resolves them into. `entry` (a path inside the files) is the
 * program when there is no `code` or `files`.
 */
export type RunRequest = Omit<ProtocolRunRequest, 'mounts'> & { fileIds?: string[] };

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; email: string };
}

export interface Run {
  id: string;
  language: string;
  /** `queued` or `running` until the run has a result, then the result's status. */
  status: RunViewStatus;
  exitCode: number | null;
  signal: string | null;
  stdout: string | null;
  stderr: string | null;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  wallMs: number | null;
  cpuMs: number | null;
  peakMemoryBytes: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunAccepted {
  id: string;
  status: 'queued';
  streamUrl: string;
  streamUrlExpiresAt: string;
}

export interface RunPage {
  runs: Run[];
  nextCursor: string | null;
}

/** A frame of a run's stream: `started`, `stdout`, `stderr`, then `exit` (with the result) or `error`. */
export type Frame =
  | { type: 'started'; seq: number; runId: string; startedAt: string }
  | { type: 'stdout' | 'stderr'; seq: number; runId: string; data: string }
  | { type: 'exit'; seq: number; runId: string; result: RunResult }
  | { type: 'error'; seq: number; runId: string; code: string; message: string };

export interface Runtime {
  language: string;
  name: string;
  version: string | null;
  fileName: string | null;
  compiled: boolean;
  limits: Record<string, number | null>;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix?: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt?: string | null;
  expiresAt?: string | null;
}

export interface CreatedApiKey extends ApiKey {
  /** The secret, shown once. */
  key: string;
}

// ── tasks (issue 13): the caller's own model writes a program, Airlock runs it

export type Provider = 'openai' | 'anthropic' | 'openrouter' | 'google';

/** A stored provider key as the API shows it: a masked hint, never the key. */
export interface ProviderKey {
  provider: Provider;
  hint: string;
  createdAt: string;
  updatedAt: string;
}

export interface TaskRequest {
  prompt: string;
  provider: Provider;
  model: string;
  language: string;
  /** 1 to the server's maximum (3 by default): failed runs go back to the model for a fix. */
  maxAttempts?: number;
  /** Limits of each attempt's run (those of POST /v1/runs). */
  limits?: RunRequest['limits'];
  /** The project the program works with: inline files and uploaded files by id, beside the program. */
  files?: { name: string; content: string }[];
  fileIds?: string[];
}

export interface TaskAccepted {
  id: string;
  status: 'running';
  streamUrl: string;
  streamUrlExpiresAt: string;
}

export interface TaskSummary {
  id: string;
  provider: Provider;
  model: string;
  language: string;
  status: TaskStatus;
  errorCode: string | null;
  maxAttempts: number;
  usage: { inputTokens: number; outputTokens: number };
  /** Time to the first token of each model call, in order. */
  providerLatencyMs: (number | null)[];
  createdAt: string;
  finishedAt: string | null;
}

export interface TaskAttempt {
  attempt: number;
  runId: string | null;
  files: { name: string; content: string }[];
  inputTokens: number;
  outputTokens: number;
  firstTokenMs: number | null;
  outcome: string;
}

export interface Task extends TaskSummary {
  prompt: string;
  attempts: TaskAttempt[];
  runs: Run[];
}

export interface TaskPage {
  tasks: TaskSummary[];
  nextCursor: string | null;
}

/** A run frame inside a task's stream: the run's own frame, numbered in the task's sequence. */
type AttemptFrame = Frame extends infer F
  ? F extends Frame
    ? Omit<F, 'seq'> & { seq: number; taskId: string; attempt: number }
    : never
  : never;

/**
 * A frame of a task's stream: the model's `token`s as they arrive, the `program` taken from its
 * reply, each attempt's run frames (`started`, `stdout`, `stderr`, `exit`, `error`), last `end`.
 */
export type TaskFrame =
  | { type: 'token'; seq: number; taskId: string; attempt: number; text: string }
  | {
      type: 'program';
      seq: number;
      taskId: string;
      attempt: number;
      files: { name: string; content: string }[];
    }
  | AttemptFrame
  | {
      type: 'end';
      seq: number;
      taskId: string;
      status: TaskEndStatus;
      errorCode: string | null;
      attempts: number;
      inputTokens: number;
      outputTokens: number;
    };

// ── files (issue 15): uploads and archives, mounted into runs by id

export type FileKind = ArchiveKind | 'file';

/** What inspecting an archive found at upload: its entries, and the names sanitising changed. */
export type FileManifest = ArchiveManifest;

/** A file as a page of the list shows it (no manifest). */
export interface FileSummary {
  id: string;
  /** The sanitised display name ([A-Za-z0-9._+-]). */
  name: string;
  size: number;
  kind: FileKind;
  contentType: string;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  createdAt: string;
}

export interface StoredFile extends FileSummary {
  /** Archives only. */
  manifest: FileManifest | null;
  /** The name as sent, when sanitising changed it (upload answers only). */
  renamedFrom?: string;
}

export interface FilePage {
  files: FileSummary[];
  nextCursor: string | null;
  /** The organization's storage use against its quota. */
  usage: { bytes: number; quotaBytes: number };
}
