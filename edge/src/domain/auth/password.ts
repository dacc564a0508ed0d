import { argon2idAsync } from '@noble/hashes/argon2.js';
import { constantTimeEqual, fromBase64Url, randomBytes } from '../../lib/bytes.ts';
import { SETTINGS } from '../../limits.ts';

/**
 * Password hashing: Argon2id in pure JavaScript (@noble/hashes), because Workers forbid compiling
 * Wasm at run time and cap WebCrypto PBKDF2 at 100,000 iterations (below OWASP's 600,000). The
 * default m = 19 MiB, t = 2, p = 1 is OWASP's first Argon2id recommendation (≈ 190 ms in workerd,
 * at least bcrypt-12 strength). Hashes are PHC strings, so parameters can be raised later and old
 * hashes upgraded at the next login (`needsRehash`).
 */

export interface HashParams {
  /** Memory in KiB. */
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

export const DEFAULT_HASH_PARAMS: HashParams = Object.freeze({
  memoryKib: SETTINGS.passwordHashMemoryKib.default,
  iterations: SETTINGS.passwordHashIterations.default,
  parallelism: SETTINGS.passwordHashParallelism.default,
});

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Refuse to verify a stored hash asking for absurd work (a corrupted or planted row must not DoS us). */
const MAX_MEMORY_KIB = SETTINGS.passwordHashMemoryKib.max;
const MAX_ITERATIONS = SETTINGS.passwordHashIterations.max;

/** PHC base64: standard alphabet, no padding. */
function phcB64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/=+$/, '');
}

/** NFKC so the same passphrase typed on different keyboards hashes the same (NIST SP 800-63B 5.1.1.2). */
function passwordBytes(password: string): Uint8Array {
  return new TextEncoder().encode(password.normalize('NFKC'));
}

async function derive(password: string, salt: Uint8Array, params: HashParams, dkLen: number) {
  return argon2idAsync(passwordBytes(password), salt, {
    m: params.memoryKib,
    t: params.iterations,
    p: params.parallelism,
    dkLen,
    maxmem: (params.memoryKib + 1024) * 1024,
  });
}

export async function hashPassword(
  password: string,
  params: HashParams = DEFAULT_HASH_PARAMS,
  salt: Uint8Array = randomBytes(SALT_BYTES),
): Promise<string> {
  const hash = await derive(password, salt, params, HASH_BYTES);
  return `$argon2id$v=19$m=${params.memoryKib},t=${params.iterations},p=${params.parallelism}$${phcB64(salt)}$${phcB64(hash)}`;
}

interface ParsedHash {
  params: HashParams;
  salt: Uint8Array;
  hash: Uint8Array;
}

const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export function parsePasswordHash(stored: string): ParsedHash | null {
  const m = PHC.exec(stored);
  if (!m) return null;
  const params = { memoryKib: Number(m[1]), iterations: Number(m[2]), parallelism: Number(m[3]) };
  const salt = fromBase64Url(m[4] ?? '');
  const hash = fromBase64Url(m[5] ?? '');
  if (!salt || !hash || salt.length < 8 || hash.length < 16) return null;
  if (params.memoryKib > MAX_MEMORY_KIB || params.iterations > MAX_ITERATIONS || params.iterations < 1)
    return null;
  if (params.parallelism < 1 || params.memoryKib < 8 * params.parallelism) return null;
  return { params, salt, hash };
}

/** True when `stored` was made with weaker parameters than `current` (or cannot be read). */
export function needsRehash(stored: string, current: HashParams): boolean {
  const parsed = parsePasswordHash(stored);
  if (!parsed) return true;
  const p = parsed.params;
  return (
    p.memoryKib < current.memoryKib ||
    p.iterations < current.iterations ||
    p.parallelism !== current.parallelism
  );
}

export type VerifyResult = { ok: true; needsRehash: boolean } | { ok: false };

export async function verifyPassword(
  password: string,
  stored: string,
  current: HashParams,
): Promise<VerifyResult> {
  const parsed = parsePasswordHash(stored);
  if (!parsed) {
    // Still spend the time of a hash: an unreadable row must not answer faster than a real one.
    await burnHash(password, current);
    return { ok: false };
  }
  const candidate = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
  if (!constantTimeEqual(candidate, parsed.hash)) return { ok: false };
  return { ok: true, needsRehash: needsRehash(stored, current) };
}

/**
 * Spend exactly the work of a verification and throw the result away. Login calls it for an
 * unknown email (and for accounts without a password) so the answer time does not reveal
 * whether the account exists.
 */
export async function burnHash(password: string, params: HashParams): Promise<void> {
  await derive(password, randomBytes(SALT_BYTES), params, HASH_BYTES);
}
