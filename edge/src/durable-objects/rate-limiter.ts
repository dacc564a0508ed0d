import { DurableObject } from 'cloudflare:workers';
import {
  decideRate,
  EMPTY_RATE_STATE,
  peekRate,
  type RateDecision,
  type RateRule,
  type RateState,
} from '../domain/auth/rate-limit.ts';

/**
 * One object per limit key (`idFromName("<limit>:<key>")`), a thin storage wrapper around the pure
 * `decideRate`. The read-decide-write runs synchronously on the SQLite-backed KV API, so concurrent
 * requests to one object cannot interleave (exactly N pass), and the state lives in storage, so an
 * evicted or restarted object remembers. The caller passes `now`: the Worker's clock in
 * production, an injected one in tests. An alarm deletes the state once the window has passed.
 */
export class RateLimiter extends DurableObject<Env> {
  hit(rule: RateRule, now: number): RateDecision {
    const kv = this.ctx.storage.kv;
    const previous = kv.get<RateState>('state') ?? EMPTY_RATE_STATE;
    const decision = decideRate(previous, rule, now);
    if (decision.allowed) {
      kv.put('state', decision.state);
      void this.ctx.storage.setAlarm(Date.now() + rule.windowMs + 1000);
    }
    return decision;
  }

  /** The decision a hit would get, counting nothing (e.g. "is this IP blocked?" before a D1 read). */
  peek(rule: RateRule, now: number): RateDecision {
    return peekRate(this.ctx.storage.kv.get<RateState>('state') ?? EMPTY_RATE_STATE, rule, now);
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
