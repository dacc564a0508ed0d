import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { database } from '../../src/db/client.ts';
import { rotateRefreshToken, startFamily } from '../../src/domain/auth/refresh.ts';
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
