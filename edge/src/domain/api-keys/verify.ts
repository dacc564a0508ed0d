import { digestsEqual } from './token.ts';

/** The stored facts a presented key is checked against (from the row found by its prefix). */
export interface StoredApiKey {
  secretHash: string;
  expiresAt: number | null;
  revokedAt: number | null;
}

export type ApiKeyDecision =
  | { ok: true }
  | { ok: false; reason: 'unknown' | 'mismatch' | 'revoked' | 'expired' };

/** Pure: no I/O, no clock (`now` is passed in). The caller maps every failure to one generic 401. */
export function decideApiKey(
  stored: StoredApiKey | null,
  presentedHash: string,
  now: number,
): ApiKeyDecision {
  if (!stored) return { ok: false, reason: 'unknown' };
  if (!digestsEqual(stored.secretHash, presentedHash)) return { ok: false, reason: 'mismatch' };
  if (stored.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (stored.expiresAt !== null && stored.expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true };
}
