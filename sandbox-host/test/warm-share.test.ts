/** Who may take the last warm containers, pure: short runs keep the reserve, long runs leave it. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { MAX_TRACKED_ORGS, WarmShare } from '../src/runner/warm-share.ts';

const share = () => new WarmShare({ reserve: 3, longRunMs: 1000 });

describe('WarmShare', () => {
  it('an organization it has not seen may take every warm container', () => {
    const s = share();
    expect(s.isLong('new')).toBe(false);
    expect(s.keepFor('new')).toBe(0);
  });

  it('an organization of long runs must leave the reserve; one of short runs need not', () => {
    const s = share();
    s.record('burner', 5000);
    for (let i = 0; i < 5; i++) s.record('hello', 40);
    expect(s.keepFor('burner')).toBe(3);
    expect(s.keepFor('hello')).toBe(0);
  });

  it('alternating long and short runs stays long', () => {
    const s = share();
    for (let i = 0; i < 20; i++) {
      s.record('sly', i % 2 === 0 ? 5000 : 10);
      expect(s.isLong('sly')).toBe(true);
    }
  });

  it('a tenant whose runs became short is short again after a few short runs', () => {
    const s = share();
    s.record('t', 5000);
    s.record('t', 50);
    expect(s.isLong('t')).toBe(true);
    s.record('t', 50);
    s.record('t', 50);
    expect(s.isLong('t')).toBe(false);
  });

  it('one long run among short ones makes a tenant long only when it outweighs them', () => {
    const s = share();
    for (let i = 0; i < 10; i++) s.record('t', 50);
    s.record('t', 1500);
    expect(s.isLong('t')).toBe(false);
    s.record('t', 15_000);
    expect(s.isLong('t')).toBe(true);
  });

  it('remembers a bounded number of organizations, forgetting the one seen longest ago', () => {
    const s = share();
    s.record('old', 5000);
    for (let i = 0; i < MAX_TRACKED_ORGS * 2; i++) s.record(`org${i}`, 5000);
    expect(s.tracked).toBe(MAX_TRACKED_ORGS);
    expect(s.isLong('old')).toBe(false);
    expect(s.isLong(`org${MAX_TRACKED_ORGS * 2 - 1}`)).toBe(true);
  });

  it('a recent record keeps an organization remembered', () => {
    const s = share();
    s.record('kept', 5000);
    for (let i = 0; i < MAX_TRACKED_ORGS * 2; i++) {
      s.record(`org${i}`, 10);
      if (i % 100 === 0) s.record('kept', 5000);
    }
    expect(s.isLong('kept')).toBe(true);
  });
});

describe('configuration', () => {
  const env = { EDGE_PUBLIC_JWK: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43) }) };

  it('keeps half the pool for short runs by default, and 1 s is long', () => {
    const parsed = parseConfig({ ...env, POOL_SIZE: '6' });
    expect(parsed.ok && parsed.config).toMatchObject({ poolShortReserve: 3, poolLongRunMs: 1000 });
    const one = parseConfig({ ...env, POOL_SIZE: '1' });
    expect(one.ok && one.config.poolShortReserve).toBe(0);
  });

  it('refuses a reserve larger than the pool', () => {
    const parsed = parseConfig({ ...env, POOL_SIZE: '2', POOL_SHORT_RESERVE: '3' });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors.join()).toContain('POOL_SHORT_RESERVE');
  });
});
