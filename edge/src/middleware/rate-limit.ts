import type { Context, MiddlewareHandler } from 'hono';
import type { AppConfig } from '../config.ts';
import { ipBucket } from '../domain/auth/client-ip.ts';
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

/**
 * The client's bucket from `CF-Connecting-IP` only (IPv6 by its configured prefix, /64 by default);
 * without it (local dev) one shared `unknown` bucket.
 */
export function ipKey(c: Context<AppEnv>): string {
  const address = c.req.header('cf-connecting-ip')?.trim();
  if (!address) return 'ip:unknown';
  return `ip:${ipBucket(address, c.get('config').auth.ipv6PrefixBits)}`;
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

function limiter(c: Context<AppEnv>, name: string, key: string) {
  const namespace = c.env.RATE_LIMITER;
  return namespace.get(namespace.idFromName(`${name}:${key}`));
}

export function refusal(name: string, rule: RateRule, decision: RateDecision): ApiError {
  return new ApiError('rate_limited', {
    headers: {
      ...rateLimitHeaders(name, rule, decision),
      'Retry-After': String(seconds(decision.retryAfterMs)),
    },
  });
}

/** Counts one hit against `<name>:<key>` and returns the decision (for limits applied inside a handler). */
export function hitLimit(
  c: Context<AppEnv>,
  name: string,
  key: string,
  rule: RateRule,
): Promise<RateDecision> {
  return limiter(c, name, key).hit(rule, Date.now());
}

/** The decision a hit would get, without counting one. */
export function peekLimit(
  c: Context<AppEnv>,
  name: string,
  key: string,
  rule: RateRule,
): Promise<RateDecision> {
  return limiter(c, name, key).peek(rule, Date.now());
}

/**
 * A quota of one user's: the authenticated API (per principal: the user's session or one of their
 * API keys) or run creation (per user). All of a user's quotas live in one RateLimiter object
 * (`user:<userId>`), each under `<name>:<key>`, so a route that draws on several checks them in one
 * Durable Object round trip (issue 18: run creation paid two).
 */
export interface UserQuota {
  name: string;
  rule: (config: AppConfig) => RateRule;
  key: (c: Context<AppEnv>) => string;
}

/** The object holding every quota of one user. */
export function userQuotas(env: Env, userId: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`user:${userId}`));
}

/**
 * Checks `quotas` in order for the authenticated principal (use after `authenticate()`), in one call:
 * a refusal is 429 with its own headers; every response carries each checked quota's headers, the
 * last-checked first (as nested `rateLimit` middleware would add them).
 */
export function userLimit(...quotas: UserQuota[]): MiddlewareHandler<AppEnv> {
  return async function userLimit(c, next) {
    const config = c.get('config');
    const checks = quotas.map((q) => ({ name: q.name, key: `${q.name}:${q.key(c)}`, rule: q.rule(config) }));
    const decisions = await userQuotas(c.env, c.get('principal').userId).admit(
      checks.map(({ key, rule }) => ({ key, rule })),
      Date.now(),
    );
    const headers: Record<string, string> = {};
    for (let i = decisions.length - 1; i >= 0; i--) {
      const check = checks[i] as (typeof checks)[number];
      for (const [name, value] of Object.entries(
        rateLimitHeaders(check.name, check.rule, decisions[i] as RateDecision),
      ))
        headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
    }
    const last = decisions.at(-1);
    if (last && !last.allowed) {
      const name = checks[decisions.length - 1]?.name;
      c.get('logger').warn('rate limited', { limit: name });
      throw new ApiError('rate_limited', {
        headers: { ...headers, 'Retry-After': String(seconds(last.retryAfterMs)) },
      });
    }
    await next();
    for (const [name, value] of Object.entries(headers)) appendHeader(c.res.headers, name, value);
  };
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const ruleFor = typeof options.rule === 'function' ? options.rule : () => options.rule as RateRule;
  return async function rateLimit(c, next) {
    const rule = ruleFor(c.get('config'));
    const decision = await hitLimit(c, options.name, options.key(c), rule);
    if (!decision.allowed) {
      c.get('logger').warn('rate limited', { limit: options.name });
      throw refusal(options.name, rule, decision);
    }
    await next();
    for (const [name, value] of Object.entries(rateLimitHeaders(options.name, rule, decision)))
      appendHeader(c.res.headers, name, value);
  };
}
