/**
 * Every status a run or a task can have, once, as plain constants. This module imports nothing (no
 * zod): the console loads it under a CSP without 'unsafe-eval', where zod's `new Function` probe is a
 * violation. The zod schemas (run-result.ts), the edge, the client and the console all read these.
 */

/**
 * Final statuses a host reports; the edge adds `sandbox_unavailable`, `host_lost` and `file_missing`
 * (a mounted file was deleted between the run's creation and its dispatch: nothing ran).
 */
export const HOST_RUN_STATUSES = [
  'succeeded',
  'failed',
  'timed_out',
  'oom_killed',
  'output_limited',
  'cancelled',
  'compile_failed',
] as const;

/** A run's final statuses: those of its result. */
export const RUN_STATUSES = [
  ...HOST_RUN_STATUSES,
  'sandbox_unavailable',
  'host_lost',
  'file_missing',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A stored run before its result: waiting for a sandbox, then running. */
export const RUN_ACTIVE_STATUSES = ['queued', 'running'] as const;
export type RunActiveStatus = (typeof RUN_ACTIVE_STATUSES)[number];

/** Every status a stored run shows (GET /v1/runs, its `status` filter). */
export const RUN_VIEW_STATUSES = [...RUN_ACTIVE_STATUSES, ...RUN_STATUSES] as const;
export type RunViewStatus = (typeof RUN_VIEW_STATUSES)[number];

/** Whether a run can still be cancelled (it has no result yet). */
export const isRunActive = (status: string): status is RunActiveStatus =>
  (RUN_ACTIVE_STATUSES as readonly string[]).includes(status);

/** A task's final statuses: its program succeeded, failed after its attempts, or the task itself erred. */
export const TASK_END_STATUSES = ['succeeded', 'failed', 'error'] as const;
export type TaskEndStatus = (typeof TASK_END_STATUSES)[number];

export const TASK_STATUSES = ['running', ...TASK_END_STATUSES] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
