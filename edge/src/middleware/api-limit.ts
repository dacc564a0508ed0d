import { principalKey, rateLimit } from './rate-limit.ts';

/**
 * The authenticated-API limit (`RATE_LIMIT_API`, per principal), declared once: every authenticated
 * route mounts this one, so they all draw on the same `api` quota of the caller.
 */
export const apiLimit = rateLimit({ name: 'api', rule: (cfg) => cfg.auth.rateLimits.api, key: principalKey });
