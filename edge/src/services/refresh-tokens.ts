import type { Database } from '../db/client.ts';
import {
  type IssuedRefresh,
  isRefreshTokenShaped,
  REFRESH_TOKEN_PREFIX,
  type RotateResult,
  refreshRefusal,
} from '../domain/auth/refresh.ts';
import { randomToken, sha256Hex } from '../lib/bytes.ts';
import {
  findRefreshToken,
  insertFamily,
  insertRefreshToken,
  revokeFamily,
  rotateAtomically,
} from '../repositories/sessions.ts';

/** Refresh-token families in D1 (the rules are domain/auth/refresh.ts). */

export async function startFamily(
  db: Database,
  userId: string,
  now: number,
  ttlMs: number,
): Promise<IssuedRefresh> {
  const token = randomToken(REFRESH_TOKEN_PREFIX);
  const familyId = crypto.randomUUID();
  const expiresAt = now + ttlMs;
  await db.batch([
    insertFamily(db, { id: familyId, userId, authenticatedAt: now, now, expiresAt }),
    insertRefreshToken(db, { userId, familyId, tokenHash: await sha256Hex(token), now, expiresAt }),
  ]);
  return { token, familyId, expiresAt, authenticatedAt: now };
}

export async function rotateRefreshToken(db: Database, token: string, now: number): Promise<RotateResult> {
  if (!isRefreshTokenShaped(token)) return { ok: false, reason: 'invalid' };
  const row = await findRefreshToken(db, await sha256Hex(token));
  if (!row) return { ok: false, reason: 'invalid' };

  const reuse = async (): Promise<RotateResult> => {
    await revokeFamily(db, row.familyId, now);
    return { ok: false, reason: 'reused', userId: row.userId, familyId: row.familyId };
  };
  const refusal = refreshRefusal(row, now);
  if (refusal === 'reused') return reuse();
  if (refusal) return { ok: false, reason: refusal };

  const next = randomToken(REFRESH_TOKEN_PREFIX);
  // Claim and insert in one transaction: of concurrent rotations one wins, the others are reuse.
  if (!(await rotateAtomically(db, { parentId: row.id, tokenHash: await sha256Hex(next), now }))) {
    const again = await findRefreshToken(db, await sha256Hex(token));
    if (again && refreshRefusal(again, now) === 'reused') return reuse();
    return { ok: false, reason: 'revoked' };
  }
  return {
    ok: true,
    userId: row.userId,
    refresh: {
      token: next,
      familyId: row.familyId,
      expiresAt: row.expiresAt,
      authenticatedAt: row.authenticatedAt,
    },
  };
}

/** Logout: revoke the family of the presented token; unknown tokens are ignored. */
export async function revokeFamilyOf(
  db: Database,
  token: string,
  now: number,
): Promise<{ userId: string; familyId: string } | null> {
  if (!isRefreshTokenShaped(token)) return null;
  const row = await findRefreshToken(db, await sha256Hex(token));
  if (!row) return null;
  await revokeFamily(db, row.familyId, now);
  return { userId: row.userId, familyId: row.familyId };
}
