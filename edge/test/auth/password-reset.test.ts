import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { database } from '../../src/db/client.ts';
import {
  consumePasswordReset,
  createPasswordReset,
  mintResetToken,
} from '../../src/services/password-reset.ts';
import { authFetch, errorOf, jsonInit, registerUser, uniqueEmail } from '../helpers.ts';

/** Password reset through the outbox (OWASP Forgot Password Cheat Sheet). */

const MINUTE = 60_000;

/** Reset mail only: registration also queues a confirmation mail (issue 14). */
async function outboxFor(email: string) {
  const rows = await env.DB.prepare(
    "SELECT kind, subject, body, sent_at FROM outbox WHERE recipient = ? AND kind = 'password_reset' ORDER BY created_at",
  )
    .bind(email)
    .all<{ kind: string; subject: string; body: string; sent_at: number | null }>();
  return rows.results;
}

const tokenIn = (body: string) => /#token=(pr_[A-Za-z0-9_-]+)/.exec(body)?.[1] ?? '';
const forgot = (email: string) => authFetch('/v1/auth/password/forgot', jsonInit('POST', { email }));
const reset = (token: string, password: string) =>
  authFetch('/v1/auth/password/reset', jsonInit('POST', { token, password }));
const login = (email: string, password: string) =>
  authFetch('/v1/auth/login', jsonInit('POST', { email, password }));

describe('forgot password', () => {
  it('answers 202 the same way for known and unknown emails; only a known one gets mail', async () => {
    const user = await registerUser();
    const known = await forgot(user.user.email);
    const unknownEmail = uniqueEmail('ghost');
    const unknown = await forgot(unknownEmail);
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.json()).toEqual(await unknown.json());
    expect(await outboxFor(unknownEmail)).toEqual([]);

    const mail = await outboxFor(user.user.email);
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ kind: 'password_reset', sent_at: null });
    const token = tokenIn(mail[0]?.body ?? '');
    expect(token).toMatch(/^pr_[A-Za-z0-9_-]{43}$/);
    // Hashed at rest: the token itself is nowhere in the table.
    const rows = await env.DB.prepare('SELECT token_hash FROM password_resets WHERE user_id = ?')
      .bind(user.user.id)
      .all<{ token_hash: string }>();
    expect(rows.results).toHaveLength(1);
    expect(rows.results[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows.results)).not.toContain(token);
  });
});

describe('reset password', () => {
  it('sets the new password, ends every session, and the token works once', async () => {
    const user = await registerUser();
    const second = (await (await login(user.user.email, user.password)).json()) as { refreshToken: string };
    await forgot(user.user.email);
    const token = tokenIn((await outboxFor(user.user.email))[0]?.body ?? '');

    const newPassword = 'a brand new passphrase 7';
    const weak = await reset(token, 'short');
    expect((await errorOf(weak)).code).toBe('weak_password');
    const done = await reset(token, newPassword);
    expect(done.status).toBe(204);

    for (const rt of [user.refreshToken, second.refreshToken]) {
      const res = await authFetch('/v1/auth/refresh', jsonInit('POST', { refreshToken: rt }));
      expect(res.status).toBe(401);
    }
    expect((await login(user.user.email, user.password)).status).toBe(401);
    expect((await login(user.user.email, newPassword)).status).toBe(200);

    const again = await reset(token, 'yet another passphrase 8');
    expect(again.status).toBe(400);
    expect((await errorOf(again)).code).toBe('invalid_reset_token');
    expect((await login(user.user.email, newPassword)).status).toBe(200);
  });

  it('a token expires after 30 minutes (injected clock)', async () => {
    const user = await registerUser();
    const db = database(env.DB);
    const t0 = Date.now();
    const make = async () => {
      await createPasswordReset(db, {
        ...(await mintResetToken()),
        userId: user.user.id,
        email: user.user.email,
        now: t0,
        ttlMs: 30 * MINUTE,
        resetUrl: 'http://127.0.0.1:8787/reset-password',
      });
      const mail = await outboxFor(user.user.email);
      return tokenIn(mail[mail.length - 1]?.body ?? '');
    };
    const late = await make();
    expect(await consumePasswordReset(db, late, t0 + 30 * MINUTE)).toEqual({
      ok: false,
      reason: 'invalid_or_expired',
    });
    const inTime = await make();
    expect(await consumePasswordReset(db, inTime, t0 + 30 * MINUTE - 1)).toEqual({
      ok: true,
      userId: user.user.id,
    });
    expect(await consumePasswordReset(db, inTime, t0 + 30 * MINUTE - 1)).toEqual({
      ok: false,
      reason: 'invalid_or_expired',
    });
  });

  it('refuses unknown tokens without echoing them', async () => {
    const res = await reset('pr_made-up-token-value', 'a long enough passphrase');
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('pr_made-up-token-value');
  });

  it('accounts without a password (social sign-in) get no reset mail', async () => {
    const user = await registerUser();
    await env.DB.prepare('UPDATE users SET password_hash = NULL WHERE id = ?').bind(user.user.id).run();
    expect((await forgot(user.user.email)).status).toBe(202);
    expect(await outboxFor(user.user.email)).toEqual([]);
  });
});
