import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../src/domain/crypto/encoding.ts';
import { parseKeyring } from '../../src/domain/crypto/keyring.ts';
import {
  openProviderKey,
  providerKeyHint,
  sealProviderKey,
} from '../../src/domain/crypto/provider-key-cipher.ts';
import { fetchAppLogged } from '../helpers.ts';
import { secretOverrides } from './fixtures.ts';

// DESIGN.md "provider keys at rest": AES-256-GCM, random 96-bit IV, AAD = user id + provider + version.
const kek = () => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
const ring = (keks: Record<string, string>, current: string) => {
  const r = parseKeyring(JSON.stringify(keks), current);
  if (!r.ok) throw new Error(r.problem);
  return r.keyring;
};
const alice = { userId: 'user-alice', provider: 'openai' } as const;
const SECRET = 'sk-proj-THIS-IS-A-TEST-KEY-0123456789-a1b2';

function flipFirstByte(b64: string): string {
  const bytes = fromBase64Url(b64);
  if (!bytes) throw new Error('bad base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return toBase64Url(bytes);
}

describe('provider key cipher (AES-256-GCM)', () => {
  const keyring = ring({ '1': kek() }, '1');

  it('round-trips and never stores the plaintext', async () => {
    const sealed = await sealProviderKey(keyring, alice, SECRET);
    expect(sealed.keyVersion).toBe(1);
    expect(fromBase64Url(sealed.iv)?.length).toBe(12);
    expect(JSON.stringify(sealed)).not.toContain('TEST-KEY');
    expect(await openProviderKey(keyring, alice, sealed)).toEqual({ ok: true, plaintext: SECRET });
  });

  it('uses a fresh IV (and so a different ciphertext) each time', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const sealed = await sealProviderKey(keyring, alice, SECRET);
      expect(seen.has(sealed.iv)).toBe(false);
      seen.add(sealed.iv);
      seen.add(sealed.ciphertext);
    }
    expect(seen.size).toBe(40);
  });

  it('fails on tampered ciphertext, tag, IV or AAD', async () => {
    const sealed = await sealProviderKey(keyring, alice, SECRET);
    const tamperedTag = fromBase64Url(sealed.ciphertext) ?? new Uint8Array();
    tamperedTag[tamperedTag.length - 1] = (tamperedTag[tamperedTag.length - 1] ?? 0) ^ 0x80;
    const failures = [
      { ...sealed, ciphertext: flipFirstByte(sealed.ciphertext) },
      { ...sealed, ciphertext: toBase64Url(tamperedTag) },
      { ...sealed, iv: flipFirstByte(sealed.iv) },
    ];
    for (const bad of failures) {
      expect(await openProviderKey(keyring, alice, bad)).toEqual({
        ok: false,
        reason: 'authentication_failed',
      });
    }
    // AAD: another provider for the same user.
    expect(await openProviderKey(keyring, { ...alice, provider: 'anthropic' }, sealed)).toMatchObject({
      ok: false,
    });
    // A truncated IV is refused before decryption.
    expect(await openProviderKey(keyring, alice, { ...sealed, iv: sealed.iv.slice(0, 8) })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it("fails on a row copied to another user's id", async () => {
    const sealed = await sealProviderKey(keyring, alice, SECRET);
    const result = await openProviderKey(keyring, { userId: 'user-bob', provider: 'openai' }, sealed);
    expect(result).toEqual({ ok: false, reason: 'authentication_failed' });
  });

  it('binds the key version: relabelling a row with another version fails', async () => {
    const both = ring({ '1': kek(), '2': kek() }, '2');
    const sealed = await sealProviderKey(both, alice, SECRET);
    expect(sealed.keyVersion).toBe(2);
    expect(await openProviderKey(both, alice, { ...sealed, keyVersion: 1 })).toMatchObject({ ok: false });
  });

  it('rotation: a new current version still opens rows sealed under the old one', async () => {
    const v1 = kek();
    const before = ring({ '1': v1 }, '1');
    const sealed = await sealProviderKey(before, alice, SECRET);
    const after = ring({ '1': v1, '2': kek() }, '2');
    expect(await openProviderKey(after, alice, sealed)).toEqual({ ok: true, plaintext: SECRET });
    expect((await sealProviderKey(after, alice, SECRET)).keyVersion).toBe(2);
    // Once version 1 is retired, its rows can no longer be opened (so re-encrypt first).
    const retired = ring({ '2': kek() }, '2');
    expect(await openProviderKey(retired, alice, sealed)).toEqual({
      ok: false,
      reason: 'unknown_key_version',
    });
  });

  it('masks the key in its hint', () => {
    expect(providerKeyHint('sk-abcdefghijklmnopa1b2')).toBe('sk-…a1b2');
    expect(providerKeyHint('AIzaSyDUMMYDUMMYDUMMY9z8y')).toBe('…9z8y');
  });
});

describe('key-encryption key configuration', () => {
  it.each([
    ['not json', '1'],
    ['[]', '1'],
    ['{}', '1'],
    [JSON.stringify({ '1': 'too-short' }), '1'],
    [JSON.stringify({ one: kek() }), '1'],
    [JSON.stringify({ '1': kek() }), '2'],
    [JSON.stringify({ '1': kek() }), ''],
  ])('rejects KEKS=%s CURRENT=%s', (keks, current) => {
    expect(parseKeyring(keks, current).ok).toBe(false);
  });

  it('never serializes key material', () => {
    const material = kek();
    const keyring = ring({ '3': material }, '3');
    expect(JSON.stringify({ keyring })).toBe('{"keyring":{"current":3,"versions":[3]}}');
    expect(JSON.stringify({ keyring })).not.toContain(material);
  });

  it('a bad KEK fails every request with server_misconfigured, logged without the value', async () => {
    const badValue = 'c2VjcmV0aXNoLWJ1dC1zaG9ydA';
    const { res, logs } = await fetchAppLogged(
      'http://127.0.0.1/healthz',
      {},
      secretOverrides({ PROVIDER_KEY_KEKS: JSON.stringify({ '1': badValue }) }),
    );
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('server_misconfigured');
    const out = logs.join('\n');
    expect(out).toContain('PROVIDER_KEY_KEKS');
    expect(out).not.toContain(badValue);

    const missing = await fetchAppLogged(
      'http://127.0.0.1/healthz',
      {},
      secretOverrides({ PROVIDER_KEY_KEK_CURRENT: '9' }),
    );
    expect(missing.res.status).toBe(500);
    expect(missing.logs.join('\n')).toContain('PROVIDER_KEY_KEK_CURRENT');
  });
});
