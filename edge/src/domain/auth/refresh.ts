import type { Database } from '../../db/client.ts';
import { randomToken, sha256Hex } from '../../lib/bytes.ts';
import {
  claimRefreshToken,
  findRefreshToken,
  insertRefreshToken,
  revokeFamily,
} from '../../repositories/sessions.ts';

/**
 * Refresh tokens: opaque `rt_` + 256 random bits, stored as SHA-256 only. One family per login;
 * each use rotates to a new token of the same family with the family's absolute expiry (30 days
 * from login, never extended). Presenting a token that was already used means it leaked (or the
 * client raced itself): the whole family is revoked (OWASP ASVS V3.5 / V10.4.5).
 */

export const REFRESH_TOKEN_PREFIX = 'rt_';

export interface IssuedRefresh {
  token: string;
  familyId: string;
  expiresAt: number;
}

export async function startFamily(
  db: Database,
  userId: string,
  now: number,
  ttlMs: number,
): Promise<IssuedRefresh> {
  const token = randomToken(REFRESH_TOKEN_PREFIX);
  const familyId = crypto.randomUUID();
  const expiresAt = now + ttlMs;
  await insertRefreshToken(db, { userId, familyId, tokenHash: await sha256Hex(token), now, expiresAt });
  return { token, familyId, expiresAt };
}

export type RotateResult =
  | { ok: true; userId: string; refresh: IssuedRefresh }
  | { ok: false; reason: 'invalid' | 'expired' | 'revoked' }
  | { ok: false; reason: 'reused'; userId: string; familyId: string };

export async function rotateRefreshToken(db: Database, token: string, now: number): Promise<RotateResult> {
  if (!token.startsWith(REFRESH_TOKEN_PREFIX) || token.length > 128) return { ok: false, reason: 'invalid' };
  const row = await findRefreshToken(db, await sha256Hex(token));
  if (!row) return { ok: false, reason: 'invalid' };
  if (row.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (row.expiresAt <= now) return { ok: false, reason: 'expired' };

  const reuse = async (): Promise<RotateResult> => {
    await revokeFamily(db, row.familyId, now);
    return { ok: false, reason: 'reused', userId: row.userId, familyId: row.familyId };
  };
  if (row.usedAt !== null) return reuse();
  // Two requests with the same token: the UPDATE lets exactly one through; the other is a reuse.
  if (!(await claimRefreshToken(db, row.id, now))) return reuse();

  const next = randomToken(REFRESH_TOKEN_PREFIX);
  await insertRefreshToken(db, {
    userId: row.userId,
    familyId: row.familyId,
    tokenHash: await sha256Hex(next),
    now,
    expiresAt: row.expiresAt,
  });
  return {
    ok: true,
    userId: row.userId,
    refresh: { token: next, familyId: row.familyId, expiresAt: row.expiresAt },
  };
}

/** Logout: revoke the family of the presented token; unknown tokens are ignored. */
export async function revokeFamilyOf(
  db: Database,
  token: string,
  now: number,
): Promise<{ userId: string; familyId: string } | null> {
  if (!token.startsWith(REFRESH_TOKEN_PREFIX) || token.length > 128) return null;
  const row = await findRefreshToken(db, await sha256Hex(token));
  if (!row) return null;
  await revokeFamily(db, row.familyId, now);
  return { userId: row.userId, familyId: row.familyId };
}
