/**
 * Who may take a warm container when few are left, pure (no I/O; the caller passes the times).
 *
 * Every run uses up a container, and creating its replacement is the engine's work, outside any
 * sandbox's CPU limit. When neighbours churn containers faster than the engine replaces them, the pool
 * runs dry and every run, a hello world too, waits for a container created on the spot (seconds on a
 * busy machine). A cold start costs a long run a fraction of its time and a short run many times its
 * time, so the last warm containers (`reserve`) are kept for organizations whose runs are short; an
 * organization whose runs are long creates its own container instead, and so waits for the engine
 * itself rather than making others wait.
 *
 * An organization's runs are "long" when the moving average of how long they held their container
 * (each new run weighs half) exceeds `longRunMs`. One short run does not make a tenant of long runs
 * short again: alternating long and short runs keeps the average long. A tenant the host has not seen
 * is short. The table is bounded: the organizations seen longest ago are forgotten first.
 */

/** Organizations remembered; beyond this the one recorded longest ago is forgotten (it becomes new). */
export const MAX_TRACKED_ORGS = 4096;
/** How much a new run counts in the moving average of an organization's hold times. */
const NEW_RUN_WEIGHT = 0.5;

export interface WarmShareOptions {
  /** Idle warm containers (per language) kept for organizations whose runs are short. */
  reserve: number;
  /** Above this moving average of hold times (ms), an organization's runs are long. */
  longRunMs: number;
}

export class WarmShare {
  readonly #o: WarmShareOptions;
  /** Insertion order is recency: a record moves its organization to the end. */
  readonly #heldMs = new Map<string, number>();

  constructor(options: WarmShareOptions) {
    this.#o = options;
  }

  /** Records that a run of the organization held its container for `heldMs`. */
  record(orgId: string, heldMs: number): void {
    const before = this.#heldMs.get(orgId);
    const held = Math.max(0, heldMs);
    this.#heldMs.delete(orgId);
    this.#heldMs.set(orgId, before === undefined ? held : before + NEW_RUN_WEIGHT * (held - before));
    if (this.#heldMs.size > MAX_TRACKED_ORGS) {
      const oldest = this.#heldMs.keys().next().value;
      if (oldest !== undefined) this.#heldMs.delete(oldest);
    }
  }

  /** Whether the organization's runs are long (it then leaves the reserve to others). */
  isLong(orgId: string): boolean {
    return (this.#heldMs.get(orgId) ?? 0) > this.#o.longRunMs;
  }

  /** How many idle warm containers a run of the organization must leave in the pool. */
  keepFor(orgId: string): number {
    return this.isLong(orgId) ? this.#o.reserve : 0;
  }

  /** Organizations remembered (bounded by MAX_TRACKED_ORGS). */
  get tracked(): number {
    return this.#heldMs.size;
  }
}
