import type { Context, MiddlewareHandler } from 'hono';
import type { AppConfig } from '../config.ts';
import { ipBucket } from '../domain/auth/client-ip.ts';
import type { RateDecision, RateRule } from '../domain/auth/rate-limit.ts';
import type { Principal } from '../domain/principal.ts';
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

/** A principal's quota key: the user's session or one API key of theirs. */
export function principalQuotaKey(p: Principal): string {
  return p.kind === 'user' ? `user:${p.userId}` : `api_key:${p.apiKeyId}`;
}

/** The authenticated principal (use after `authenticate()`). */
export function principalKey(c: Context<AppEnv>): string {
  return principalQuotaKey(c.get('principal'));
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
  key: (principal: Principal) => string;
}

/** The object holding every quota of one user. */
export function userQuotas(env: Env, userId: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`user:${userId}`));
}

/** A user-quota check mounted as middleware, which `authenticate()` may start early (`start`). */
export interface UserLimit extends MiddlewareHandler<AppEnv> {
  /**
   * Sends this check for `principal` now, before the middleware runs: `authenticate()` calls it once
   * an access token's signature has passed, so the Durable Object round trip overlaps the revocation
   * read instead of following it (issue 18). The middleware still decides, at its own place in the
   * chain, with this one call: a request refused before it (revoked token, wrong scope) gets that
   * refusal, never a 429, and each request is counted once.
   */
  start(c: Context<AppEnv>, principal: Principal): void;
}

/**
 * Checks `quotas` in order for the authenticated principal (use after `authenticate()`), in one call:
 * a refusal is 429 with its own headers; every response carries each checked quota's headers, the
 * last-checked first (as nested `rateLimit` middleware would add them).
 */
export function userLimit(...quotas: UserQuota[]): UserLimit {
  const started = new WeakMap<Context<AppEnv>, { principal: Principal; admission: Admission }>();
  const admission = (c: Context<AppEnv>, principal: Principal): Admission => {
    const config = c.get('config');
    const checks = quotas.map((q) => ({
      name: q.name,
      key: `${q.name}:${q.key(principal)}`,
      rule: q.rule(config),
    }));
    const decisions = userQuotas(c.env, principal.userId).admit(
      checks.map(({ key, rule }) => ({ key, rule })),
      Date.now(),
    );
    return { checks, decisions };
  };
  const middleware = async function userLimit(c: Context<AppEnv>, next: () => Promise<void>) {
    const principal = c.get('principal');
    const early = started.get(c);
    started.delete(c);
    // Started for this very principal, or sent now.
    const { checks, decisions: pending } =
      early?.principal === principal ? early.admission : admission(c, principal);
    const decisions = await pending;
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
  return Object.assign(middleware, {
    start(c: Context<AppEnv>, principal: Principal) {
      const early = admission(c, principal);
      // Awaited by the middleware; if the request stops before it (revoked token), unobserved.
      early.decisions.catch(() => undefined);
      started.set(c, { principal, admission: early });
    },
  });
}

interface Admission {
  checks: { name: string; key: string; rule: RateRule }[];
  decisions: Promise<RateDecision[]>;
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
