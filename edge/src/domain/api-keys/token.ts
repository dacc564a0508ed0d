import { toBase64Url } from '../crypto/encoding.ts';

/**
 * API keys: `ak_<prefix>_<secret>`. The prefix (8 random lower-case alphanumerics) is public and
 * identifies the key in lists and at lookup; the secret is 32 random bytes (256 bits) in base64url
 * and only its SHA-256 is stored. A fast hash is enough for a secret this long (no dictionary to
 * guess from), and lets authentication stay a single indexed lookup.
 */

export const API_KEY_SCOPES = [
  'runs:write',
  'runs:read',
  'tasks:write',
  'tasks:read',
  'files:write',
  'files:read',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PREFIX_LENGTH = 8;
const SECRET_BYTES = 32;
const TOKEN = /^ak_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedApiKey {
  prefix: string;
  /** The full `ak_..._...` string; returned to the caller once and never stored. */
  token: string;
  secretHash: string;
}

export type RandomBytes = (n: number) => Uint8Array;
const systemRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

export async function generateApiKey(random: RandomBytes = systemRandom): Promise<GeneratedApiKey> {
  // 252 = 7 × 36: rejecting bytes ≥ 252 keeps every prefix character uniform.
  let prefix = '';
  while (prefix.length < PREFIX_LENGTH) {
    for (const byte of random(PREFIX_LENGTH)) {
      if (byte < 252 && prefix.length < PREFIX_LENGTH) prefix += PREFIX_ALPHABET[byte % 36];
    }
  }
  const secret = toBase64Url(random(SECRET_BYTES));
  return { prefix, token: `ak_${prefix}_${secret}`, secretHash: await hashApiKeySecret(secret) };
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('ak_');
}

export function parseApiKey(token: string): { prefix: string; secret: string } | null {
  const match = TOKEN.exec(token);
  if (!match?.[1] || !match[2]) return null;
  return { prefix: match[1], secret: match[2] };
}

/** Lower-case hex SHA-256. */
export async function hashApiKeySecret(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares two hex digests without an early exit. */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function isApiKeyScope(value: string): value is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(value);
}
