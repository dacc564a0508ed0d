import { DurableObject } from 'cloudflare:workers';
import {
  decideRate,
  EMPTY_RATE_STATE,
  peekRate,
  type RateDecision,
  type RateRule,
  type RateState,
} from '../domain/auth/rate-limit.ts';
import {
  chargeOutput,
  EMPTY_OUTPUT_BUDGET,
  type OutputBudgetDecision,
  type OutputBudgetState,
  outputBudget,
} from '../domain/runs/output-budget.ts';
import { FIXED } from '../limits.ts';

/** One quota an `admit` call checks: its storage key inside the object and its rule. */
export interface QuotaCheck {
  key: string;
  rule: RateRule;
}

/**
 * One object per limit key (`idFromName("<limit>:<key>")`), a thin storage wrapper around the pure
 * `decideRate`. A user's own quotas (the authenticated API per principal, run creation) share one
 * object per user (`user:<id>`, rate-limit.ts `userQuotas`), each under its own storage key, so a run
 * creation checks both in one round trip (`admit`). The read-decide-write runs synchronously on the SQLite-backed KV API, so concurrent
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
      this.#cleanupAfter(rule.windowMs);
    }
    return decision;
  }

  /**
   * Checks quotas in order, in one synchronous step: each allowed one is counted; the first refusal
   * stops there (later quotas are neither checked nor counted), exactly as separate limits one
   * after another would. Returns the decisions made, the refusal last.
   */
  admit(checks: QuotaCheck[], now: number): RateDecision[] {
    const kv = this.ctx.storage.kv;
    const decisions: RateDecision[] = [];
    let longestWindow = 0;
    for (const { key, rule } of checks) {
      const decision = decideRate(kv.get<RateState>(`q:${key}`) ?? EMPTY_RATE_STATE, rule, now);
      decisions.push(decision);
      if (!decision.allowed) break;
      kv.put(`q:${key}`, decision.state);
      longestWindow = Math.max(longestWindow, rule.windowMs);
    }
    if (longestWindow > 0) this.#cleanupAfter(longestWindow);
    return decisions;
  }

  /** The decision a hit would get, counting nothing (e.g. "is this IP blocked?" before a D1 read). */
  peek(rule: RateRule, now: number): RateDecision {
    return peekRate(this.ctx.storage.kv.get<RateState>('state') ?? EMPTY_RATE_STATE, rule, now);
  }

  /** `peek` for one quota of an `admit` object (GET /v1/usage: what remains, counting nothing). */
  peekQuota({ key, rule }: QuotaCheck, now: number): RateDecision {
    return peekRate(this.ctx.storage.kv.get<RateState>(`q:${key}`) ?? EMPTY_RATE_STATE, rule, now);
  }

  /** An organization's output budget (one object per organization: domain/runs/output-budget.ts). */
  outputBudget(rule: RateRule, now: number): OutputBudgetDecision {
    return outputBudget(
      this.ctx.storage.kv.get<OutputBudgetState>('output') ?? EMPTY_OUTPUT_BUDGET,
      rule,
      now,
    );
  }

  /** Charges a finished run's output to the budget. */
  chargeOutput(rule: RateRule, chars: number, now: number): void {
    const kv = this.ctx.storage.kv;
    kv.put(
      'output',
      chargeOutput(kv.get<OutputBudgetState>('output') ?? EMPTY_OUTPUT_BUDGET, rule, now, chars),
    );
    this.#cleanupAfter(rule.windowMs);
  }

  /**
   * One alarm for every quota in the object, at the latest instant any of them still matters
   * (`cleanupAt`). An alarm already pending is left as it is: it fires early at worst, and alarm()
   * then moves it to `cleanupAt`. Moving it on every call cost a write to the alarm store on every
   * request (issue 18: measured with perf on local workerd, where each is a commit and an fsync).
   */
  #cleanupAfter(windowMs: number): void {
    const kv = this.ctx.storage.kv;
    const cleanupAt = Math.max(
      kv.get<number>('cleanupAt') ?? 0,
      Date.now() + windowMs + FIXED.rateLimiterCleanupSlackMs,
    );
    kv.put('cleanupAt', cleanupAt);
    if ((kv.get<number>('alarmAt') ?? 0) > Date.now()) return;
    kv.put('alarmAt', cleanupAt);
    void this.ctx.storage.setAlarm(cleanupAt);
  }

  override async alarm(): Promise<void> {
    // A later call may have moved the cleanup past this alarm.
    const cleanupAt = this.ctx.storage.kv.get<number>('cleanupAt') ?? 0;
    if (Date.now() < cleanupAt) {
      this.ctx.storage.kv.put('alarmAt', cleanupAt);
      await this.ctx.storage.setAlarm(cleanupAt);
      return;
    }
    await this.ctx.storage.deleteAll();
  }
}
