/**
 * base64url without padding (RFC 4648 §5), with Web APIs only (btoa/atob), so the edge, the host and
 * the scripts share one implementation.
 */

export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Strict: anything but the base64url alphabet (no padding) yields null rather than a best guess. */
export function decodeBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  return fromBinary(atob(text.replaceAll('-', '+').replaceAll('_', '/')));
}

/**
 * Forgiving, for values people paste or other formats write (secrets, PHC hashes): base64url or
 * standard base64, padded or not; null when it is neither.
 */
export function decodeBase64Lenient(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  const normalized = text.replaceAll('-', '+').replaceAll('_', '/').replace(/=+$/, '');
  if (normalized.length % 4 === 1) return null;
  try {
    return fromBinary(atob(normalized + '='.repeat((4 - (normalized.length % 4)) % 4)));
  } catch {
    return null;
  }
}

function fromBinary(binary: string): Uint8Array {
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}
