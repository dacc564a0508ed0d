import type { MiddlewareHandler } from 'hono';
import { parseConfig } from '../config.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';

/** Parses the Worker's vars; a bad value stops the request with a clear 500 and a log line. */
export function loadConfig(): MiddlewareHandler<AppEnv> {
  return async function loadConfig(c, next) {
    const result = parseConfig(c.env as unknown as Record<string, unknown>);
    if (!result.ok) {
      c.get('logger').error('invalid configuration', { problems: result.problems });
      throw new ApiError('server_misconfigured');
    }
    c.set('config', result.config);
    await next();
  };
}
