import { describe, expect, it } from 'vitest';
import {
  digestsEqual,
  generateApiKey,
  hashApiKeySecret,
  isApiKeyScope,
  parseApiKey,
} from '../../src/domain/api-keys/token.ts';
import { decideApiKey } from '../../src/domain/api-keys/verify.ts';

// DESIGN.md "API keys at rest": SHA-256 of a ≥ 128-bit random secret, a visible prefix.
describe('API key tokens (pure)', () => {
  it('generates ak_<prefix>_<256-bit secret> with only the hash to keep', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const k = await generateApiKey();
      expect(k.token).toMatch(/^ak_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
      const parsed = parseApiKey(k.token);
      expect(parsed?.prefix).toBe(k.prefix);
      expect(await hashApiKeySecret(parsed?.secret ?? '')).toBe(k.secretHash);
      expect(k.secretHash).toMatch(/^[0-9a-f]{64}$/);
      seen.add(k.prefix);
      seen.add(k.token);
    }
    expect(seen.size).toBe(200);
  });

  it('takes its randomness from the injected source (32 bytes for the secret)', async () => {
    const requests: number[] = [];
    const k = await generateApiKey((n) => {
      requests.push(n);
      return new Uint8Array(n).fill(7);
    });
    expect(requests).toEqual([8, 32]);
    expect(k.prefix).toBe('hhhhhhhh'); // byte 7 → alphabet[7]
  });

  it('parses only the exact shape', () => {
    for (const bad of [
      'ak_',
      `ak_ABCDEFGH_${'a'.repeat(43)}`,
      `ak_abcdefgh_${'a'.repeat(42)}`,
      `xk_abcdefgh_${'a'.repeat(43)}`,
    ]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  it('decides: mismatch, then revoked, then expired', () => {
    const stored = { secretHash: 'a'.repeat(64), expiresAt: 1000, revokedAt: null };
    expect(decideApiKey(null, 'a'.repeat(64), 0)).toEqual({ ok: false, reason: 'unknown' });
    expect(decideApiKey(stored, 'b'.repeat(64), 0)).toEqual({ ok: false, reason: 'mismatch' });
    expect(decideApiKey({ ...stored, revokedAt: 5 }, 'a'.repeat(64), 0)).toEqual({
      ok: false,
      reason: 'revoked',
    });
    expect(decideApiKey(stored, 'a'.repeat(64), 1000)).toEqual({ ok: false, reason: 'expired' });
    expect(decideApiKey(stored, 'a'.repeat(64), 999)).toEqual({ ok: true });
    expect(decideApiKey({ ...stored, expiresAt: null }, 'a'.repeat(64), 1e15)).toEqual({ ok: true });
    expect(digestsEqual('abc', 'abd')).toBe(false);
    expect(digestsEqual('abc', 'ab')).toBe(false);
    expect(isApiKeyScope('runs:read')).toBe(true);
    expect(isApiKeyScope('admin')).toBe(false);
  });
});
