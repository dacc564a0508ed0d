/**
 * Byte helpers shared by token code: base64url, SHA-256, random tokens and a constant-time compare.
 * Portable (WebCrypto + plain loops) so the same code runs in workerd, Node benches and tests.
 */
import { encodeBase64Url } from '@airlock/protocol';

/**
 * The protocol's base64url, under the names this code base uses: encoding without padding, and the
 * forgiving decoder (either alphabet, padded or not) that secrets and PHC strings need.
 */
export { decodeBase64Lenient as fromBase64Url, encodeBase64Url as toBase64Url } from '@airlock/protocol';

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** An opaque bearer secret: `prefix` + base64url of 32 random bytes (256 bits). */
export function randomToken(prefix: string): string {
  return `${prefix}${encodeBase64Url(randomBytes(32))}`;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares without an early exit, so the time taken does not reveal where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
