import { principalQuotaKey, type UserQuota, userLimit } from './rate-limit.ts';

/** The authenticated API (`RATE_LIMIT_API`), per principal: every authenticated route draws on it. */
export const API_QUOTA: UserQuota = {
  name: 'api',
  rule: (cfg) => cfg.auth.rateLimits.api,
  key: principalQuotaKey,
};

/** Run creations per user (`RATE_LIMIT_RUNS`): one quota whichever route (or AI task) starts the run. */
export const RUNS_QUOTA: UserQuota = {
  name: 'runs',
  rule: (cfg) => cfg.runs.createRate,
  key: (principal) => runsQuotaKey(principal.userId),
};

/** The run-creation quota's key in the user's object (services/tasks/run-attempt.ts draws on it too). */
export const runsQuotaKey = (userId: string) => `user:${userId}`;

/**
 * The authenticated-API limit, declared once: every authenticated route mounts this one, so they all
 * draw on the same `api` quota of the caller.
 */
export const apiLimit = userLimit(API_QUOTA);

/**
 * Run creation's admission (POST /v1/runs, Piston's execute): the API and the run-creation quota in
 * one round trip, mounted instead of `apiLimit` after `requireScope('runs:write')`, so a key without
 * that scope spends neither quota. A refusal of the API quota counts no run creation.
 */
export const runAdmission = userLimit(API_QUOTA, RUNS_QUOTA);
