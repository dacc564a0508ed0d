import type { RunRequest, RunResult } from '@airlock/protocol';

/** Shapes of the API's answers (DESIGN.md "The contract (v1)"); more fields may appear. */

export type { RunRequest, RunResult };

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; email: string };
}

export interface Run {
  id: string;
  language: string;
  status: string;
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
  | { type: 'started'; seq: number; runId: string; startedAt?: string }
  | { type: 'stdout' | 'stderr'; seq: number; runId: string; data: string }
  | { type: 'exit'; seq: number; runId: string; result: RunResult }
  | { type: 'error'; seq: number; runId: string; code?: string; message?: string };

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
