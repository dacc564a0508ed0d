/**
 * Phase timers and completion markers of one run. A compiled language goes compile → run, the others
 * start in run. Each phase has its own time limit; a phase completes when its marker has arrived on both
 * streams (so both are complete). Markers of any other phase are ignored: the program can forge markers
 * (it can read the nonce), but a compile marker during the run can never restart the run's timer, and
 * nothing it prints can give it more time than its limit.
 */
import type { Marker, StreamName } from '../docker/stream.ts';

export type Phase = 'compile' | 'run';

export interface PhaseEvents {
  timedOut(phase: Phase): void;
  completed(phase: Phase, code: number): void;
}

const MARKER_OF: Record<Phase, Marker['phase']> = { compile: 'C', run: 'R' };

export class PhaseTimers {
  #phase: Phase | null = null;
  #timer: NodeJS.Timeout | undefined;
  #seen: Record<StreamName, boolean> = { stdout: false, stderr: false };
  readonly #events: PhaseEvents;

  constructor(events: PhaseEvents) {
    this.#events = events;
  }

  get phase(): Phase | null {
    return this.#phase;
  }

  /** Enters a phase and arms its time limit. */
  start(phase: Phase, limitMs: number): void {
    this.stop();
    this.#phase = phase;
    this.#timer = setTimeout(() => {
      this.#phase = null;
      this.#events.timedOut(phase);
    }, limitMs);
  }

  marker(stream: StreamName, marker: Marker): void {
    const phase = this.#phase;
    if (phase === null || marker.phase !== MARKER_OF[phase]) return;
    this.#seen[stream] = true;
    if (!(this.#seen.stdout && this.#seen.stderr)) return;
    this.stop();
    this.#events.completed(phase, marker.code);
  }

  /** Disarms the timer; no phase is current until the next `start`. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#phase = null;
    this.#seen = { stdout: false, stderr: false };
  }
}
