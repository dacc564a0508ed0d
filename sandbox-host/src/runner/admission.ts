/**
 * Admission control, pure: at most `maxRunning` runs at once and `maxQueued` waiting; beyond that a run
 * is refused at once (the client gets `capacity`) rather than left hanging.
 */
export type AdmissionDecision = 'run' | 'queue' | 'reject';

export function decideAdmission(
  state: { running: number; queued: number },
  limits: {
    maxRunning: number;
    maxQueued: number;
  },
): AdmissionDecision {
  if (state.running < limits.maxRunning) return 'run';
  if (state.queued < limits.maxQueued) return 'queue';
  return 'reject';
}
