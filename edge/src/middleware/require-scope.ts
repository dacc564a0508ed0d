import type { Context, MiddlewareHandler } from 'hono';
import type { ApiKeyScope } from '../domain/api-keys/token.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';

/**
 * API keys act only within the scopes they were minted with; a user session holds every scope
 * (its limits are the organization role checks in the routes).
 */
export function requireScope(scope: ApiKeyScope): MiddlewareHandler<AppEnv> {
  return async function requireScope(c, next) {
    assertScope(c, scope);
    await next();
  };
}

/** The same check inside a route, for a scope only some requests need (a run that mounts files). */
export function assertScope(c: Context<AppEnv>, scope: ApiKeyScope): void {
  const principal = c.get('principal');
  if (principal.kind === 'api_key' && !principal.scopes.includes(scope)) {
    throw new ApiError('insufficient_scope', { details: { requiredScope: scope } });
  }
}
