import type { Context, MiddlewareHandler } from 'hono';
import type { AppConfig } from '../config.ts';
import type { RateDecision, RateRule } from '../domain/auth/rate-limit.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';

/**
 * Rate limits backed by the RateLimiter Durable Object, one object per `<name>:<key>`. Every
 * response of a limited route carries the IETF headers (draft-ietf-httpapi-ratelimit-headers-10):
 * `RateLimit-Policy: "<name>";q=<limit>;w=<window s>` and `RateLimit: "<name>";r=<remaining>;t=<reset s>`;
 * a refusal is 429 `rate_limited` with `Retry-After`. Several limits on one route combine, each
 * adding its own list member.
 */

export interface RateLimitOptions {
  /** The policy name, also the first part of the object name: routes sharing it share the quota. */
  name: string;
  /** The rule, fixed or read from the request's configuration. */
  rule: RateRule | ((config: AppConfig) => RateRule);
  /** The quota key, e.g. the client IP or the principal. */
  key: (c: Context<AppEnv>) => string;
}

/** The client IP from `CF-Connecting-IP` only; without it (local dev) one shared `unknown` bucket. */
export function ipKey(c: Context<AppEnv>): string {
  return `ip:${c.req.header('cf-connecting-ip')?.trim() || 'unknown'}`;
}

/** The authenticated principal (use after `authenticate()`). */
export function principalKey(c: Context<AppEnv>): string {
  const p = c.get('principal');
  return p.kind === 'user' ? `user:${p.userId}` : `api_key:${p.apiKeyId}`;
}

const seconds = (ms: number) => Math.ceil(ms / 1000);

function appendHeader(headers: Headers, name: string, value: string) {
  const existing = headers.get(name);
  headers.set(name, existing ? `${existing}, ${value}` : value);
}

export function rateLimitHeaders(
  name: string,
  rule: RateRule,
  decision: RateDecision,
): Record<string, string> {
  return {
    'RateLimit-Policy': `"${name}";q=${rule.limit};w=${seconds(rule.windowMs)}`,
    RateLimit: `"${name}";r=${decision.remaining};t=${seconds(decision.resetMs)}`,
  };
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const ruleFor = typeof options.rule === 'function' ? options.rule : () => options.rule as RateRule;
  return async function rateLimit(c, next) {
    const rule = ruleFor(c.get('config'));
    const namespace = c.env.RATE_LIMITER;
    const stub = namespace.get(namespace.idFromName(`${options.name}:${options.key(c)}`));
    const decision = await stub.hit(rule, Date.now());
    const headers = rateLimitHeaders(options.name, rule, decision);
    if (!decision.allowed) {
      c.get('logger').warn('rate limited', { limit: options.name });
      throw new ApiError('rate_limited', {
        headers: { ...headers, 'Retry-After': String(seconds(decision.retryAfterMs)) },
      });
    }
    await next();
    for (const [name, value] of Object.entries(headers)) appendHeader(c.res.headers, name, value);
  };
}
