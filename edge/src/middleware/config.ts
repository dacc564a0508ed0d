import type { MiddlewareHandler } from 'hono';
import { type ConfigResult, parseConfig } from '../config.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';

/**
 * The parsed configuration per `env` object. Vars are fixed for a deployment (a change deploys a new
 * version, with new isolates), so an `env` object is parsed once per isolate, not on every request
 * (issue 18: the zod parse was CPU on every request). Keyed by identity in a WeakMap: a different
 * `env` object (another binding set, a test's own) is parsed on its own, and none is kept alive.
 */
const parsedByEnv = new WeakMap<object, ConfigResult>();

export function configOf(env: object): ConfigResult {
  let result = parsedByEnv.get(env);
  if (!result) {
    result = parseConfig(env as Record<string, unknown>);
    parsedByEnv.set(env, result);
  }
  return result;
}

/** Parses the Worker's vars; a bad value stops the request with a clear 500 and a log line. */
export function loadConfig(): MiddlewareHandler<AppEnv> {
  return async function loadConfig(c, next) {
    const result = configOf(c.env as object);
    if (!result.ok) {
      c.get('logger').error('invalid configuration', { problems: result.problems });
      throw new ApiError('server_misconfigured');
    }
    c.set('config', result.config);
    await next();
  };
}
