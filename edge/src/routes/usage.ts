import { Hono } from 'hono';
import { database } from '../db/client.ts';
import type { RateDecision, RateRule } from '../domain/auth/rate-limit.ts';
import { remainingOf, utcMonth } from '../domain/usage/month.ts';
import type { AppEnv } from '../env.ts';
import { API_QUOTA, apiLimit, RUNS_QUOTA, runsQuotaKey } from '../middleware/api-limit.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { orgContext, requestScope } from '../middleware/org-context.ts';
import { peekLimit, principalKey, userQuotas } from '../middleware/rate-limit.ts';
import { callerUsage, orgTokenCap, orgTokensIn, runsInProgress } from '../repositories/usage.ts';
import { checkOutputBudget } from '../services/output-budget.ts';

/**
 * GET /v1/usage (issue 13): what the caller used this UTC calendar month in the organization they
 * act in (their runs, CPU seconds, tasks and task tokens) and what remains of each limit that
 * applies to them: the organization's monthly token cap (all members' tasks together), the creation
 * rates of runs and tasks and the API rate (read without spending a hit, except the one this
 * request itself costs), the organization's output budget, and the caps on runs in progress. Any
 * credential may read it: it shows the caller's own usage only, and the organization's token total,
 * which every member is subject to.
 */

const iso = (ms: number) => new Date(ms).toISOString();

function rateView(d: RateDecision, rule: RateRule, now: number) {
  return {
    limit: rule.limit,
    windowSeconds: rule.windowMs / 1000,
    remaining: d.remaining,
    resetsAt: d.remaining < rule.limit ? iso(now + d.resetMs) : null,
  };
}

const concurrent = (limit: number, inProgress: number) => ({
  limit,
  inProgress,
  remaining: Math.max(0, limit - inProgress),
});

export const usageRoutes = new Hono<AppEnv>().get(
  '/v1/usage',
  authenticate(),
  apiLimit,
  orgContext(),
  async (c) => {
    const db = database(c.env.DB);
    const config = c.get('config');
    const now = c.get('now')();
    const scope = requestScope(c);
    const month = utcMonth(now);
    const userKey = `user:${scope.userId}`;
    const quotas = userQuotas(c.env, scope.userId);
    const [runRule, taskRule, apiRule] = [
      config.runs.createRate,
      config.tasks.createRate,
      config.auth.rateLimits.api,
    ];
    const outputRule = config.runs.outputRate;
    const [mine, cap, orgTokens, active, runRate, taskRate, apiRate, output] = await Promise.all([
      callerUsage(db, scope, month),
      orgTokenCap(db, scope.orgId),
      orgTokensIn(db, scope.orgId, month),
      runsInProgress(db, scope, now),
      // Run creation and the API live in the user's quota object (middleware/api-limit.ts).
      quotas.peekQuota({ key: `${RUNS_QUOTA.name}:${runsQuotaKey(scope.userId)}`, rule: runRule }, now),
      peekLimit(c, 'tasks', userKey, taskRule),
      quotas.peekQuota({ key: `${API_QUOTA.name}:${principalKey(c)}`, rule: apiRule }, now),
      checkOutputBudget(c.env, scope.orgId, outputRule),
    ]);
    return c.json({
      period: { from: iso(month.from), to: iso(month.to) },
      orgId: scope.orgId,
      usage: {
        runs: mine.runs,
        cpuSeconds: mine.cpuMs / 1000,
        tasks: mine.tasks,
        inputTokens: mine.inputTokens,
        outputTokens: mine.outputTokens,
      },
      limits: {
        monthlyTokens: {
          scope: 'organization',
          limit: cap,
          used: orgTokens,
          remaining: remainingOf(cap, orgTokens),
          resetsAt: iso(month.to),
        },
        runsPerWindow: rateView(runRate, runRule, now),
        tasksPerWindow: rateView(taskRate, taskRule, now),
        apiRequestsPerWindow: rateView(apiRate, apiRule, now),
        outputPerWindow: {
          scope: 'organization',
          limit: outputRule.limit,
          windowSeconds: outputRule.windowMs / 1000,
          used: output.used,
          remaining: Math.max(0, outputRule.limit - output.used),
          resetsAt: output.allowed ? null : iso(now + output.retryAfterMs),
        },
        runsInProgress: {
          organization: concurrent(config.runs.maxConcurrentPerOrg, active.org),
          user: concurrent(config.runs.maxConcurrentPerUser, active.user),
        },
      },
    });
  },
);
