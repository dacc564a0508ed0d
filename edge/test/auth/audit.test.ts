import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { authFetch, authHeaders, jsonInit, registerUser, uniqueEmail, uniqueIp } from '../helpers.ts';

/** Audit (issue 3 item 9): each security event with IP, user agent, time and request id. */

interface AuditRow {
  action: string;
  outcome: string;
  actor_user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  at: number;
  metadata: string;
}

describe('audit rows', () => {
  it('records logins (failed and successful), password changes and resets with the caller context', async () => {
    const user = await registerUser();
    const ip = uniqueIp();
    const h = { 'CF-Connecting-IP': ip, 'User-Agent': 'audit-test/1.0' };
    const started = Date.now();

    const failed = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: user.user.email, password: 'nope nope nope' }, h),
    );
    const ok = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: user.user.email, password: user.password }, h),
    );
    const unknown = await authFetch(
      '/v1/auth/login',
      jsonInit('POST', { email: uniqueEmail(), password: 'whatever 12345' }, h),
    );
    const session = (await ok.json()) as { accessToken: string };
    const change = await authFetch(
      '/v1/me/password',
      jsonInit(
        'PUT',
        { currentPassword: user.password, newPassword: 'changed passphrase 42' },
        {
          ...h,
          ...authHeaders(session.accessToken),
        },
      ),
    );
    expect(change.status).toBe(204);
    await authFetch('/v1/auth/password/forgot', jsonInit('POST', { email: user.user.email }, h));
    const body =
      // The reset mail (registration queued a confirmation mail too).
      (
        await env.DB.prepare("SELECT body FROM outbox WHERE recipient = ? AND body LIKE '%#token=pr_%'")
          .bind(user.user.email)
          .first<{ body: string }>()
      )?.body;
    const token = /#token=(pr_[A-Za-z0-9_-]+)/.exec(body ?? '')?.[1] ?? '';
    const reset = await authFetch(
      '/v1/auth/password/reset',
      jsonInit('POST', { token, password: 'reset passphrase 43' }, h),
    );
    expect(reset.status).toBe(204);

    const rows = (
      await env.DB.prepare('SELECT * FROM audit_log WHERE ip = ? ORDER BY at, rowid').bind(ip).all<AuditRow>()
    ).results;
    const summary = rows.map((r) => `${r.action}:${r.outcome}`);
    expect(summary).toEqual([
      'auth.login:failure',
      'auth.login:success',
      'auth.login:failure',
      'user.password_change:success',
      'auth.password_reset_requested:success',
      'user.password_reset:success',
    ]);
    for (const row of rows) {
      expect(row.user_agent).toBe('audit-test/1.0');
      expect(row.at).toBeGreaterThanOrEqual(started - 1000);
      expect(row.request_id).toMatch(/.+/);
    }
    expect(rows[0]?.request_id).toBe(failed.headers.get('x-request-id'));
    expect(rows[2]?.request_id).toBe(unknown.headers.get('x-request-id'));
    expect(rows[0]?.actor_user_id).toBe(user.user.id);
    expect(JSON.parse(rows[0]?.metadata ?? '{}')).toEqual({ reason: 'wrong_password' });
    expect(JSON.parse(rows[2]?.metadata ?? '{}')).toEqual({ reason: 'unknown_email' });
    // Nothing secret in the log.
    const all = JSON.stringify(rows);
    for (const secret of [
      user.password,
      'changed passphrase 42',
      'reset passphrase 43',
      token,
      session.accessToken,
    ])
      expect(all).not.toContain(secret);
  });

  it('the audit log refuses updates and deletes', async () => {
    await registerUser();
    await expect(env.DB.prepare(`UPDATE audit_log SET action = 'x'`).run()).rejects.toThrow();
    await expect(env.DB.prepare('DELETE FROM audit_log').run()).rejects.toThrow();
  });
});
