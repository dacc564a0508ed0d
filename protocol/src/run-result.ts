import { z } from 'zod';

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
export const RUN_STATUSES = [
  ...HOST_RUN_STATUSES,
  'sandbox_unavailable',
  'host_lost',
  'file_missing',
] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/**
 * What a run printed and measured: the result's fields besides its status and its times. Views and
 * storage carry these under the same names (see `pickRunOutcome`), so they are listed once, here.
 */
export const RunOutcomeSchema = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  wallMs: z.number().nonnegative(),
  cpuMs: z.number().nonnegative().nullable(),
  peakMemoryBytes: z.number().int().nonnegative().nullable(),
});
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;
export const RUN_OUTCOME_FIELDS = RunOutcomeSchema.keyof().options;
export type RunOutcomeField = keyof RunOutcome;

export const RunResultSchema = z.object({
  status: RunStatusSchema,
  ...RunOutcomeSchema.shape,
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type RunResult = z.infer<typeof RunResultSchema>;

/** The outcome fields of anything that carries them under their wire names (a result, a stored row). */
export function pickRunOutcome<T extends Record<RunOutcomeField, unknown>>(
  source: T,
): Pick<T, RunOutcomeField> {
  return Object.fromEntries(RUN_OUTCOME_FIELDS.map((field) => [field, source[field]])) as Pick<
    T,
    RunOutcomeField
  >;
}

/**
 * The result of a run that never ran (cancelled while queued, no host): no exit, no output, no
 * measures, started and finished at `atIso`. Callers that know more (output streamed before a host
 * was lost, the time it started) spread it and override those fields.
 */
export function emptyRunResult(status: RunStatus, atIso: string): RunResult {
  return {
    status,
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    wallMs: 0,
    cpuMs: null,
    peakMemoryBytes: null,
    startedAt: atIso,
    finishedAt: atIso,
  };
}
