import { LIMITS } from '@airlock/protocol';
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { apiLimit } from '../middleware/api-limit.ts';
import { authenticate } from '../middleware/authenticate.ts';

/**
 * GET /v1/runtimes: the languages the sandbox hosts offer, with versions and limits (from the hosts'
 * own /runtimes, cached briefly by the HostRegistry). No host reachable → 503 `sandbox_unavailable`.
 */
export const runtimeRoutes = new Hono<AppEnv>().get('/v1/runtimes', authenticate(), apiLimit, async (c) => {
  const hosts = c.get('config').runs.hosts;
  if (hosts.length === 0) throw new ApiError('sandbox_unavailable');
  const registry = c.env.HOST_REGISTRY.get(c.env.HOST_REGISTRY.idFromName('global'));
  const list = await registry.runtimes([...hosts], c.get('now')());
  if (list.reachableHosts === 0) throw new ApiError('sandbox_unavailable');
  return c.json({
    runtimes: list.runtimes,
    limits: {
      maxCodeBytes: LIMITS.maxCodeBytes,
      maxStdinBytes: LIMITS.maxStdinBytes,
      maxFiles: LIMITS.maxFiles,
      maxArgs: LIMITS.maxArgs,
      maxOutputBytes: LIMITS.maxOutputBytes,
      defaultTimeoutMs: LIMITS.defaultTimeoutMs,
      maxTimeoutMs: LIMITS.maxTimeoutMs,
    },
  });
});
