import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';

/**
 * Injects the clock, as the sandbox host does (`now: () => number` in its services' options): routes
 * read `c.get('now')()` instead of `Date.now()`, and pass the instant on to the pure domain functions,
 * which take `now` as a parameter and never read a clock themselves. Tests give `createApp` a fixed one.
 */
export function clock(now: () => number): MiddlewareHandler<AppEnv> {
  return async function clock(c, next) {
    c.set('now', now);
    await next();
  };
}
