import { type Context, Hono } from 'hono';
import { database } from '../db/client.ts';
import type { RateRule } from '../domain/auth/rate-limit.ts';
import { remainingOf, utcMonth } from '../domain/usage/month.ts';
import type { AppEnv } from '../env.ts';
import { apiLimit } from '../middleware/api-limit.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { orgContext, requestScope } from '../middleware/org-context.ts';
import { peekLimit, principalKey } from '../middleware/rate-limit.ts';
import { callerUsage, orgTokenCap, orgTokensIn, runsInProgress } from '../repositories/usage.ts';

/**
 * GET /v1/usage (issue 13): what the caller used this UTC calendar month in the organization they
 * act in (their runs, CPU seconds, tasks and task tokens) and what remains of each limit that
 * applies to them: the organization's monthly token cap (all members' tasks together), the creation
 * rates of runs and tasks and the API rate (read without spending a hit, except the one this
 * request itself costs), and the caps on runs in progress. Any credential may read it: it shows the
 * caller's own usage only, and the organization's token total, which every member is subject to.
 */

const iso = (ms: number) => new Date(ms).toISOString();

async function rate(c: Context<AppEnv>, name: string, key: string, rule: RateRule, now: number) {
  const d = await peekLimit(c, name, key, rule);
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
    const [mine, cap, orgTokens, active, runRate, taskRate, apiRate] = await Promise.all([
      callerUsage(db, scope, month),
      orgTokenCap(db, scope.orgId),
      orgTokensIn(db, scope.orgId, month),
      runsInProgress(db, scope, now),
      rate(c, 'runs', userKey, config.runs.createRate, now),
      rate(c, 'tasks', userKey, config.tasks.createRate, now),
      rate(c, 'api', principalKey(c), config.auth.rateLimits.api, now),
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
        runsPerWindow: runRate,
        tasksPerWindow: taskRate,
        apiRequestsPerWindow: apiRate,
        runsInProgress: {
          organization: concurrent(config.runs.maxConcurrentPerOrg, active.org),
          user: concurrent(config.runs.maxConcurrentPerUser, active.user),
        },
      },
    });
  },
);
