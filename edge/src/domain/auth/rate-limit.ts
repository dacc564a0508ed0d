/**
 * The rate-limit decision: a sliding log. It keeps the times of the last `limit` accepted hits and
 * accepts a new one only if fewer than `limit` fall inside the window ending now, so the rule
 * "N per window" holds exactly over every window, not just aligned ones (a fixed window lets 2N
 * through around a boundary; a token bucket refills continuously). State is at most `limit`
 * numbers. Pure: no clock, no storage; the Durable Object persists the state between calls.
 */

export interface RateRule {
  limit: number;
  windowMs: number;
}

export interface RateState {
  /** Accepted hit times (epoch ms), oldest first, at most `limit` of them. */
  hits: number[];
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the oldest counted hit leaves the window (a slot frees up). */
  resetMs: number;
  /** Set when refused: when to try again. */
  retryAfterMs: number;
  state: RateState;
}

export const EMPTY_RATE_STATE: RateState = Object.freeze({ hits: [] }) as RateState;

export function decideRate(previous: RateState, rule: RateRule, now: number): RateDecision {
  const windowStart = now - rule.windowMs;
  const live = previous.hits.filter((t) => t > windowStart).slice(-rule.limit);
  const allowed = live.length < rule.limit;
  const hits = allowed ? [...live, now] : live;
  const remaining = Math.max(0, rule.limit - hits.length);
  // The next slot to free up is the oldest hit still counted.
  const oldest = hits[0];
  const resetMs = oldest === undefined ? 0 : Math.max(0, oldest + rule.windowMs - now);
  return {
    allowed,
    limit: rule.limit,
    remaining,
    resetMs,
    retryAfterMs: allowed ? 0 : Math.max(1, resetMs),
    state: { hits },
  };
}

/** Whether a hit now would be allowed, without counting one (checks that run before costly work). */
export function peekRate(previous: RateState, rule: RateRule, now: number): RateDecision {
  const decision = decideRate(previous, rule, now);
  return { ...decision, remaining: decision.allowed ? decision.remaining + 1 : 0, state: previous };
}
