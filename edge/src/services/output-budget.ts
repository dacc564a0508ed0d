/**
 * The organization's output budget (domain/runs/output-budget.ts) in its own RateLimiter object: every
 * path that creates a run checks it (services/create-run.ts, services/tasks/run-attempt.ts), and the
 * run's RunSession charges it when the run ends.
 */
import type { RateRule } from '../domain/auth/rate-limit.ts';
import type { OutputBudgetDecision } from '../domain/runs/output-budget.ts';
import { ApiError } from '../errors/api-error.ts';

export const outputBudgetOf = (env: Env, orgId: string) =>
  env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`output:org:${orgId}`));

/** The budget's decision for a run starting now. */
export function checkOutputBudget(env: Env, orgId: string, rule: RateRule): Promise<OutputBudgetDecision> {
  return outputBudgetOf(env, orgId).outputBudget(rule, Date.now());
}

/** 429 `rate_limited`, naming the output budget, with when it has room again. */
export function outputBudgetRefusal(decision: OutputBudgetDecision): ApiError {
  return new ApiError('rate_limited', {
    headers: { 'Retry-After': String(Math.ceil(decision.retryAfterMs / 1000)) },
    details: { quota: 'output', limit: decision.limit },
  });
}
