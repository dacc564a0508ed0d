import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { createLogger, type LogSink } from '../lib/logger.ts';

/** A caller-supplied id is kept only if it is short and plain, so it cannot inject into logs. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Gives every request an id (echoed in `X-Request-Id` and in error bodies) and a logger bound to it. */
export function requestId(options: { sink?: LogSink } = {}): MiddlewareHandler<AppEnv> {
  return async function requestId(c, next) {
    const incoming = c.req.header('x-request-id');
    const id = incoming && ACCEPTABLE_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', id);
    c.set('logger', createLogger({ requestId: id }, options.sink));
    await next();
    c.res.headers.set('X-Request-Id', id);
  };
}
