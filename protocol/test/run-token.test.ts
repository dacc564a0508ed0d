import { describe, expect, it } from 'vitest';
import { RUN_TOKEN, RunTokenClaimsSchema } from '../src/index.ts';

const claims = {
  iss: RUN_TOKEN.issuer,
  aud: 'host-1',
  iat: 1_800_000_000,
  exp: 1_800_000_030,
  jti: 'a1b2',
  run: 'run-1',
  req: 'x'.repeat(43),
  org: '2f0c4b8e-3a8e-4d5e-9a34-0c8f7d1b2a61',
};
const ok = (value: unknown) => RunTokenClaimsSchema.safeParse(value).success;

describe('RunTokenClaimsSchema', () => {
  it('accepts the claims the edge mints, and drops other claims', () => {
    expect(RunTokenClaimsSchema.parse({ ...claims, nbf: 1 })).toEqual(claims);
  });

  it('requires every claim, org included', () => {
    for (const key of Object.keys(claims)) {
      const { [key as keyof typeof claims]: _, ...without } = claims;
      expect(ok(without), key).toBe(false);
    }
  });

  it('requires a valid org id', () => {
    for (const org of ['', 'a/b', '../x', 'x'.repeat(65), 42, null])
      expect(ok({ ...claims, org }), String(org)).toBe(false);
  });

  it('refuses another issuer, an empty or oversized jti, a malformed run id', () => {
    expect(ok({ ...claims, iss: 'someone' })).toBe(false);
    expect(ok({ ...claims, jti: '' })).toBe(false);
    expect(ok({ ...claims, jti: 'j'.repeat(257) })).toBe(false);
    expect(ok({ ...claims, run: 'run 1' })).toBe(false);
  });
});
