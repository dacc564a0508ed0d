import { fromBase64Url } from './encoding.ts';

/**
 * The versioned key-encryption keys (KEKs) for provider keys, from two Worker secrets:
 * `PROVIDER_KEY_KEKS` = `{"<version>": "<base64url of 32 random bytes>", ...}` and
 * `PROVIDER_KEY_KEK_CURRENT` = the version new ciphertexts are made with. Rotation = add a version,
 * point CURRENT at it, keep the old ones until every row has been re-encrypted.
 *
 * The key material lives in private fields and `toJSON` shows only the versions, so a logged config
 * cannot leak it. WebCrypto keys are imported on first use and cached per instance (per request).
 */
export class Keyring {
  readonly current: number;
  readonly #material: ReadonlyMap<number, Uint8Array>;
  readonly #imported = new Map<number, Promise<CryptoKey>>();

  constructor(current: number, material: ReadonlyMap<number, Uint8Array>) {
    if (!material.has(current)) throw new Error('the current key version has no key');
    this.current = current;
    this.#material = material;
  }

  has(version: number): boolean {
    return this.#material.has(version);
  }

  get versions(): number[] {
    return [...this.#material.keys()].sort((a, b) => a - b);
  }

  /** A non-extractable AES-GCM key for `version`, or null if that version is not configured. */
  key(version: number): Promise<CryptoKey> | null {
    const raw = this.#material.get(version);
    if (!raw) return null;
    let key = this.#imported.get(version);
    if (!key) {
      key = crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
      this.#imported.set(version, key);
    }
    return key;
  }

  toJSON(): { current: number; versions: number[] } {
    return { current: this.current, versions: this.versions };
  }
}

type KeyringResult = { ok: true; keyring: Keyring } | { ok: false; problem: string };

const VERSION = /^[1-9][0-9]{0,8}$/;

/** Parses the two secrets. Problems name what is wrong, never the secret's value. */
export function parseKeyring(keksJson: string | undefined, current: string | undefined): KeyringResult {
  if (!keksJson) return { ok: false, problem: 'PROVIDER_KEY_KEKS: required' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(keksJson);
  } catch {
    return { ok: false, problem: 'PROVIDER_KEY_KEKS: must be a JSON object' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, problem: 'PROVIDER_KEY_KEKS: must be a JSON object' };
  }
  const material = new Map<number, Uint8Array>();
  for (const [version, value] of Object.entries(parsed)) {
    if (!VERSION.test(version)) {
      return { ok: false, problem: 'PROVIDER_KEY_KEKS: versions must be positive integers' };
    }
    const bytes = typeof value === 'string' ? fromBase64Url(value) : null;
    if (bytes?.length !== 32) {
      return {
        ok: false,
        problem: `PROVIDER_KEY_KEKS: version ${version} must be base64url of exactly 32 bytes`,
      };
    }
    material.set(Number(version), bytes);
  }
  if (material.size === 0) return { ok: false, problem: 'PROVIDER_KEY_KEKS: no key versions' };
  if (!current || !VERSION.test(current)) {
    return { ok: false, problem: 'PROVIDER_KEY_KEK_CURRENT: must be a positive integer version' };
  }
  if (!material.has(Number(current))) {
    return { ok: false, problem: 'PROVIDER_KEY_KEK_CURRENT: names a version not in PROVIDER_KEY_KEKS' };
  }
  return { ok: true, keyring: new Keyring(Number(current), material) };
}
