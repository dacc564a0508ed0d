/**
 * Refresh tokens: opaque `rt_` + 256 random bits, stored as SHA-256 only. One family per login;
 * each use rotates to a new token of the same family with the family's absolute expiry (30 days
 * from login, never extended). Presenting a token that was already used means it leaked (or the
 * client raced itself): the whole family is revoked (OWASP ASVS V3.5 / V10.4.5). The D1 side is
 * services/refresh-tokens.ts; this module holds the pure rules.
 */

export const REFRESH_TOKEN_PREFIX = 'rt_';
const MAX_TOKEN_LENGTH = 128;

export interface IssuedRefresh {
  token: string;
  familyId: string;
  expiresAt: number;
  /** When the user signed in (password or provider) to start this family: the tokens' `auth_time`. */
  authenticatedAt: number;
}

export type RotateResult =
  | { ok: true; userId: string; refresh: IssuedRefresh }
  | { ok: false; reason: 'invalid' | 'expired' | 'revoked' }
  | { ok: false; reason: 'reused'; userId: string; familyId: string };

/** Cheap shape check before any hashing or lookup. */
export function isRefreshTokenShaped(token: string): boolean {
  return token.startsWith(REFRESH_TOKEN_PREFIX) && token.length <= MAX_TOKEN_LENGTH;
}

export interface StoredRefresh {
  usedAt: number | null;
  revokedAt: number | null;
  expiresAt: number;
  familyRevokedAt: number | null;
}

/** Why a stored token cannot be rotated (null: it can). A used token is a reuse. */
export function refreshRefusal(row: StoredRefresh, now: number): 'revoked' | 'expired' | 'reused' | null {
  if (row.revokedAt !== null || row.familyRevokedAt !== null) return 'revoked';
  if (row.expiresAt <= now) return 'expired';
  if (row.usedAt !== null) return 'reused';
  return null;
}
