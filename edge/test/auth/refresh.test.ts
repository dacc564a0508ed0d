import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { database } from '../../src/db/client.ts';
import { sha256Hex } from '../../src/lib/bytes.ts';
import { insertRefreshToken, revokeFamily } from '../../src/repositories/sessions.ts';
import { rotateRefreshToken, startFamily } from '../../src/services/refresh-tokens.ts';
import { authFetch, errorOf, jsonInit, registerUser } from '../helpers.ts';

/** Refresh-token rotation and reuse detection (OWASP ASVS V3.5, RFC 9700 §4.14.2). */

const DAY = 24 * 3600 * 1000;
const refresh = (refreshToken: string) => authFetch('/v1/auth/refresh', jsonInit('POST', { refreshToken }));
const tokenOf = async (res: Response) => ((await res.json()) as { refreshToken: string }).refreshToken;

describe('refresh token reuse', () => {
  it('replaying a used token revokes the whole family and is audited; other sessions live on', async () => {
    const user = await registerUser();
    const otherSession = await tokenOf(
      await authFetch(
        '/v1/auth/login',
        jsonInit('POST', { email: user.user.email, password: user.password }),
      ),
    );
    const rt1 = user.refreshToken;
    const rt2 = await tokenOf(await refresh(rt1));

    const replay = await refresh(rt1);
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).code).toBe('invalid_refresh_token');
    // The thief's or the victim's newer token dies with the family.
    expect((await refresh(rt2)).status).toBe(401);
    // A separate login is a separate family.
    expect((await refresh(otherSession)).status).toBe(200);

    const audit = await env.DB.prepare(
      `SELECT outcome, target_type, ip, request_id FROM audit_log WHERE action = 'auth.refresh_reuse' AND actor_user_id = ?`,
    )
      .bind(user.user.id)
      .all();
    expect(audit.results).toHaveLength(1);
    expect(audit.results[0]).toMatchObject({ outcome: 'failure', target_type: 'session_family' });
    expect(audit.results[0]?.ip).toBeTruthy();
    expect(audit.results[0]?.request_id).toBeTruthy();
  });

  it('two concurrent refreshes with one token: one wins, the other counts as reuse', async () => {
    const user = await registerUser();
    const [a, b] = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
  });

  it('ten concurrent refreshes of one token: at most one new pair, then every token of the family fails', async () => {
    const user = await registerUser();
    const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(user.refreshToken)));
    const winners = answers.filter((r) => r.status === 200);
    expect(winners.length).toBeLessThanOrEqual(1);
    expect(answers.filter((r) => r.status === 401)).toHaveLength(10 - winners.length);
    const minted = await Promise.all(winners.map(tokenOf));
    // Reuse was detected: the family is dead, the winner's fresh token included.
    for (const token of [user.refreshToken, ...minted]) expect((await refresh(token)).status).toBe(401);
    const rows = await env.DB.prepare(
      `SELECT count(*) AS n FROM refresh_tokens WHERE user_id = ? AND parent_id IS NOT NULL`,
    )
      .bind(user.user.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(winners.length);
  });

  it('a token inserted into a family after its revocation is dead: revocation lives on the family', async () => {
    const user = await registerUser();
    const db = database(env.DB);
    const now = Date.now();
    const family = await startFamily(db, user.user.id, now, DAY);
    await revokeFamily(db, family.familyId, now);
    // A rotation that raced the revocation and inserted its row afterwards.
    const late = 'rt_late-inserted-token-of-a-revoked-family';
    await insertRefreshToken(db, {
      userId: user.user.id,
      familyId: family.familyId,
      tokenHash: await sha256Hex(late),
      now,
      expiresAt: now + DAY,
    });
    expect(await rotateRefreshToken(db, late, now + 1)).toEqual({ ok: false, reason: 'revoked' });
    expect((await refresh(late)).status).toBe(401);
  });
});

describe('refresh token expiry (injected clock)', () => {
  it('the family expires 30 days after login, however often it is rotated', async () => {
    const user = await registerUser();
    const db = database(env.DB);
    const t0 = Date.now();
    const family = await startFamily(db, user.user.id, t0, 30 * DAY);
    const rotated = await rotateRefreshToken(db, family.token, t0 + 29 * DAY);
    expect(rotated.ok).toBe(true);
    if (!rotated.ok) return;
    expect(rotated.refresh.expiresAt).toBe(t0 + 30 * DAY);
    expect(await rotateRefreshToken(db, rotated.refresh.token, t0 + 30 * DAY + 1)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });
});
