import type { Context } from 'hono';
import type { AppEnv } from '../env.ts';

/**
 * Runs `work` after the response (`waitUntil`) when the runtime gives an execution context; without
 * one (`app.request` in tests) the returned promise settles when the work has, so callers that
 * `await` it stay deterministic. Failures are logged, never thrown at the client.
 */
export function afterResponse(c: Context<AppEnv>, what: string, work: () => Promise<unknown>): Promise<void> {
  // Started on a later task, so none of it runs before the handler has answered.
  const logged = new Promise((resolve) => setTimeout(resolve, 0)).then(work).then(
    () => undefined,
    (err: unknown) => c.get('logger').warn(`${what} failed`, { err }),
  );
  try {
    c.executionCtx.waitUntil(logged);
    return Promise.resolve();
  } catch {
    return logged;
  }
}
