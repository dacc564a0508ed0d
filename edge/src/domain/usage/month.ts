/**
 * The usage period of `GET /v1/usage` and of an organization's monthly token cap: the UTC calendar
 * month holding `now`, as `[from, to)` in epoch ms. Pure: the caller passes the clock.
 */
export interface Month {
  from: number;
  to: number;
}

export function utcMonth(now: number): Month {
  const d = new Date(now);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { from, to };
}

/** Whole seconds until the month ends (a cap's `Retry-After`), at least 1. */
export function secondsUntil(to: number, now: number): number {
  return Math.max(1, Math.ceil((to - now) / 1000));
}

/** What is left of a cap once `used` is spent: null when there is no cap, never below 0. */
export function remainingOf(cap: number | null, used: number): number | null {
  return cap === null ? null : Math.max(0, cap - used);
}
