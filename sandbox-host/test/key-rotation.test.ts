import { RUN_TOKEN } from '@airlock/protocol';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { createTokenVerifier } from '../src/server/auth.ts';

/**
 * Pure unit test (no Docker): the host accepts a set of edge public keys, so the edge can rotate its
 * run-token signing key (issue 12 item 11).
 */

async function pair() {
  const { privateKey, publicKey } = await generateKeyPair(RUN_TOKEN.alg, {
    crv: 'Ed25519',
    extractable: true,
  });
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

function token(key: CryptoKey, hostId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ run: crypto.randomUUID(), req: 'digest', org: 'org-a' })
    .setProtectedHeader({ alg: RUN_TOKEN.alg, typ: RUN_TOKEN.typ })
    .setIssuer(RUN_TOKEN.issuer)
    .setAudience(hostId)
    .setIssuedAt(now)
    .setExpirationTime(now + 30)
    .setJti(crypto.randomUUID())
    .sign(key);
}

describe('edge key rotation on the host', () => {
  it('accepts a token signed by the previous key while it is listed, and refuses it once removed', async () => {
    const current = await pair();
    const previous = await pair();
    const both = await createTokenVerifier({
      publicJwks: [current.publicJwk, previous.publicJwk],
      hostId: 'h1',
      now: Date.now,
    });
    expect((await both(`Bearer ${await token(previous.privateKey, 'h1')}`)).ok).toBe(true);
    expect((await both(`Bearer ${await token(current.privateKey, 'h1')}`)).ok).toBe(true);
    const currentOnly = await createTokenVerifier({
      publicJwks: [current.publicJwk],
      hostId: 'h1',
      now: Date.now,
    });
    expect(await currentOnly(`Bearer ${await token(previous.privateKey, 'h1')}`)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    // A failure other than the signature (wrong audience) is not retried with another key.
    expect(await both(`Bearer ${await token(previous.privateKey, 'other')}`)).toEqual({
      ok: false,
      reason: 'wrong_audience',
    });
  });

  it('EDGE_PUBLIC_JWK takes one JWK, a JSON array or a JWKS, and refuses a private key in any of them', async () => {
    const a = (await pair()).publicJwk;
    const b = (await pair()).publicJwk;
    for (const value of [JSON.stringify(a), JSON.stringify([a, b]), JSON.stringify({ keys: [a, b] })]) {
      const result = parseConfig({ EDGE_PUBLIC_JWK: value });
      expect(result.ok, value).toBe(true);
    }
    const withPrivate = { ...b, d: 'secret-part-of-the-key-000000000000000000000' };
    const refused = parseConfig({ EDGE_PUBLIC_JWK: JSON.stringify([a, withPrivate]) });
    expect(refused.ok).toBe(false);
  });
});
