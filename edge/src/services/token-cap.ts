import type { Database } from '../db/client.ts';
import { type Month, remainingOf, secondsUntil, utcMonth } from '../domain/usage/month.ts';
import { ApiError } from '../errors/api-error.ts';
import { orgTokenCap, orgTokensIn } from '../repositories/usage.ts';

/**
 * An organization's monthly task token cap (issue 13): the tokens (in + out) of its tasks created
 * this UTC month against `orgs.monthly_token_cap`. Checked before every model call: by the route
 * before the first (a clear 429 with `Retry-After` to the month's end, and no task is recorded), and
 * by the task session before each further attempt. A soft cap: a call that starts under it may end
 * over it (by at most its output-token limit), and tasks started at the same moment may each pass.
 */
export interface CapState {
  cap: number | null;
  used: number;
  month: Month;
}

export async function tokenCapState(db: Database, orgId: string, now: number): Promise<CapState> {
  const month = utcMonth(now);
  const [cap, used] = await Promise.all([orgTokenCap(db, orgId), orgTokensIn(db, orgId, month)]);
  return { cap, used, month };
}

export function capReached(state: CapState): boolean {
  return state.cap !== null && state.used >= state.cap;
}

export function capError(state: CapState, now: number): ApiError {
  return new ApiError('token_cap_reached', {
    headers: { 'Retry-After': String(secondsUntil(state.month.to, now)) },
    details: {
      cap: state.cap,
      used: state.used,
      remaining: remainingOf(state.cap, state.used),
      resetsAt: new Date(state.month.to).toISOString(),
    },
  });
}
