/**
 * The output budget (issue 10): how much output an organization's runs may make the platform carry per
 * window (`RATE_LIMIT_OUTPUT_KIB`, KiB per window). An output flood's cost lies mostly outside its
 * sandbox (the engine's attach copy, the host's relay, the edge's parse and store of every megabyte),
 * where no CPU cap or weight of the sandboxes reaches, and it slowed every other tenant's runs; with a
 * budget, a tenant that keeps the platform carrying megabytes waits for its own budget instead.
 *
 * A run is charged the characters it wrote (stdout and stderr; bytes for ASCII) when it ends, so its
 * own limit is the plan's output limit, never the budget; creation is refused while the budget is
 * spent. The state is the characters per bucket of a sixtieth of the window: bounded whatever the number
 * of runs; a bucket counts until its start leaves the window, so a charge counts for the window less at
 * most one bucket. Pure: the Durable Object holds the state.
 */
import type { RateRule } from '../auth/rate-limit.ts';

export interface OutputBudgetState {
  /** [bucket start (epoch ms), characters], oldest first. */
  buckets: [number, number][];
}

export interface OutputBudgetDecision {
  allowed: boolean;
  /** The window's budget in characters. */
  limit: number;
  used: number;
  /** Set when refused: when enough of the charged output has left the window. */
  retryAfterMs: number;
}

export const EMPTY_OUTPUT_BUDGET: OutputBudgetState = Object.freeze({ buckets: [] }) as OutputBudgetState;

const BUCKETS_PER_WINDOW = 60;

const live = (state: OutputBudgetState, rule: RateRule, now: number) =>
  state.buckets.filter(([start]) => start > now - rule.windowMs);

/** Whether a run may start now: allowed while less than the budget is used. */
export function outputBudget(state: OutputBudgetState, rule: RateRule, now: number): OutputBudgetDecision {
  const buckets = live(state, rule, now);
  const used = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (used < rule.limit) return { allowed: true, limit: rule.limit, used, retryAfterMs: 0 };
  // The oldest buckets leave first: wait until what is left is under the budget.
  let left = used;
  let retryAfterMs = rule.windowMs;
  for (const [start, n] of buckets) {
    left -= n;
    if (left < rule.limit) {
      retryAfterMs = Math.max(1, start + rule.windowMs - now);
      break;
    }
  }
  return { allowed: false, limit: rule.limit, used, retryAfterMs };
}

/** The state after charging a finished run's output. */
export function chargeOutput(
  state: OutputBudgetState,
  rule: RateRule,
  now: number,
  chars: number,
): OutputBudgetState {
  const buckets = live(state, rule, now);
  if (chars <= 0) return { buckets };
  const width = Math.max(1, Math.floor(rule.windowMs / BUCKETS_PER_WINDOW));
  const start = now - (now % width);
  const last = buckets.at(-1);
  if (last && last[0] === start) return { buckets: [...buckets.slice(0, -1), [start, last[1] + chars]] };
  return { buckets: [...buckets, [start, chars]] };
}
