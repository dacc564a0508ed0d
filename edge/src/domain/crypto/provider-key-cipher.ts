import { fromBase64Url, toBase64Url } from './encoding.ts';
import type { Keyring } from './keyring.ts';

/**
 * Provider keys at rest: AES-256-GCM (WebCrypto) under a versioned key-encryption key, a fresh
 * random 96-bit IV per encryption, and additional authenticated data binding the owner, the
 * provider and the key version. A ciphertext copied to another user's row, another provider or
 * relabelled with another version fails authentication instead of decrypting.
 *
 * Trade-off: the KEK encrypts the provider key directly rather than wrapping a per-row data key.
 * Rows are tiny and few per user, so envelope encryption would buy little beyond what versioned
 * KEKs with re-encryption on use already give; the version column and AAD prefix leave room for it.
 *
 * `openProviderKey` is the only decryption in the codebase. Call it only where the key is used.
 */

export const PROVIDERS = ['openai', 'anthropic', 'openrouter', 'google'] as const;
export type Provider = (typeof PROVIDERS)[number];

interface ProviderKeyOwner {
  userId: string;
  provider: Provider;
}

/** What is stored: base64url ciphertext (with the 128-bit tag) and IV, and the KEK version. */
export interface SealedProviderKey {
  ciphertext: string;
  iv: string;
  keyVersion: number;
}

type OpenResult =
  | { ok: true; plaintext: string }
  | { ok: false; reason: 'unknown_key_version' | 'malformed' | 'authentication_failed' };

const IV_BYTES = 12;
const AAD_CONTEXT = 'airlock:provider-key:v1';

function providerKeyAad(owner: ProviderKeyOwner, keyVersion: number): Uint8Array {
  return new TextEncoder().encode(`${AAD_CONTEXT}|${owner.userId}|${owner.provider}|${keyVersion}`);
}

/** Encrypts under the keyring's current version. */
export async function sealProviderKey(
  keyring: Keyring,
  owner: ProviderKeyOwner,
  plaintext: string,
): Promise<SealedProviderKey> {
  const keyVersion = keyring.current;
  const key = keyring.key(keyVersion);
  if (!key) throw new Error('current key version missing');
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: providerKeyAad(owner, keyVersion), tagLength: 128 },
    await key,
    new TextEncoder().encode(plaintext),
  );
  return { ciphertext: toBase64Url(new Uint8Array(ciphertext)), iv: toBase64Url(iv), keyVersion };
}

/** The one decryption of a provider key. Fails closed on any mismatch of owner, provider or version. */
export async function openProviderKey(
  keyring: Keyring,
  owner: ProviderKeyOwner,
  sealed: SealedProviderKey,
): Promise<OpenResult> {
  const key = keyring.key(sealed.keyVersion);
  if (!key) return { ok: false, reason: 'unknown_key_version' };
  const iv = fromBase64Url(sealed.iv);
  const data = fromBase64Url(sealed.ciphertext);
  if (!iv || iv.length !== IV_BYTES || !data || data.length < 16) return { ok: false, reason: 'malformed' };
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: providerKeyAad(owner, sealed.keyVersion), tagLength: 128 },
      await key,
      data,
    );
    return {
      ok: true,
      plaintext: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(plaintext),
    };
  } catch {
    return { ok: false, reason: 'authentication_failed' };
  }
}

/**
 * The masked hint shown to the owner: a short recognisable prefix such as `sk-` (letters only, up
 * to 6, then a dash) and the last four characters, e.g. `sk-…a1b2`. Nothing else of the key.
 */
export function providerKeyHint(plaintext: string): string {
  const prefix = /^[A-Za-z]{2,6}-/.exec(plaintext)?.[0] ?? '';
  return `${prefix}…${plaintext.slice(-4)}`;
}
