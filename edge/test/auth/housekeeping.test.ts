import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { scheduled } from '../../src/index.ts';
import { registerUser } from '../helpers.ts';

/** Issue 12, items 8 and 12: the Cron Trigger's scheduled handler cleans each kind of row. */

const DAY = 86_400_000;
const q = (sql: string, ...params: unknown[]) =>
  env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>()
    .then((r) => r?.n ?? -1);

async function runCron(at: number) {
  const controller = createScheduledController({ scheduledTime: at, cron: '17 * * * *' });
  const ctx = createExecutionContext();
  await scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}

describe('scheduled housekeeping', () => {
  it('removes spent refresh and reset rows, expired outbox rows and invitations, and old run output', async () => {
    const user = await registerUser();
    const uid = user.user.id;
    const now = Date.now();
    const old = now - 40 * DAY;
    // Spent: an expired family with a token; a revoked family (two days ago); live: the user's login.
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO refresh_families (id, user_id, authenticated_at, created_at, expires_at, revoked_at) VALUES ('fam-exp-${uid}', ?, ?, ?, ?, NULL), ('fam-rev-${uid}', ?, ?, ?, ?, ?)`,
      ).bind(uid, old, old, now - DAY, uid, old, old, now + DAY, now - 2 * DAY),
      env.DB.prepare(
        `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at) VALUES (?, ?, 'fam-exp-${uid}', ?, ?, ?), (?, ?, 'fam-rev-${uid}', ?, ?, ?)`,
      ).bind(`t1-${uid}`, uid, `h1-${uid}`, old, now - DAY, `t2-${uid}`, uid, `h2-${uid}`, old, now + DAY),
      env.DB.prepare(
        `INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, NULL), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, NULL)`,
      ).bind(
        `r1-${uid}`,
        uid,
        `rh1-${uid}`,
        old,
        old + 1800_000,
        `r2-${uid}`,
        uid,
        `rh2-${uid}`,
        now,
        now + 1800_000,
        now,
        `r3-${uid}`,
        uid,
        `rh3-${uid}`,
        now,
        now + 1800_000,
      ),
      env.DB.prepare(
        `INSERT INTO outbox (id, kind, recipient, subject, body, created_at) VALUES (?, 'password_reset', ?, 's', 'pr_secret', ?), (?, 'password_reset', ?, 's', 'pr_fresh', ?)`,
      ).bind(`o1-${uid}`, user.user.email, old, `o2-${uid}`, user.user.email, now),
      env.DB.prepare(
        `INSERT INTO runs (id, org_id, user_id, language, status, stdout, stderr, created_at, finished_at)
         SELECT ?, org_id, ?, 'python', 'succeeded', 'OLD-OUTPUT', 'e', ?, ? FROM memberships WHERE user_id = ?`,
      ).bind(`run-old-${uid}`, uid, old, old, uid),
      env.DB.prepare(
        `INSERT INTO runs (id, org_id, user_id, language, status, stdout, stderr, created_at, finished_at)
         SELECT ?, org_id, ?, 'python', 'succeeded', 'NEW-OUTPUT', 'e', ?, ? FROM memberships WHERE user_id = ?`,
      ).bind(`run-new-${uid}`, uid, now, now, uid),
      env.DB.prepare(
        `INSERT INTO invitations (id, org_id, email, role, created_at, expires_at) SELECT ?, org_id, 'x@example.test', 'member', ?, ? FROM memberships WHERE user_id = ?`,
      ).bind(`inv-${uid}`, old, old + DAY, uid),
    ]);

    await runCron(now);

    expect(await q(`SELECT count(*) AS n FROM refresh_families WHERE user_id = ?`, uid)).toBe(1);
    expect(await q(`SELECT count(*) AS n FROM refresh_tokens WHERE user_id = ?`, uid)).toBe(1);
    expect(await q(`SELECT count(*) AS n FROM password_resets WHERE user_id = ?`, uid)).toBe(1);
    expect(await q(`SELECT count(*) AS n FROM password_resets WHERE id = ?`, `r3-${uid}`)).toBe(1);
    expect(
      await q(
        `SELECT count(*) AS n FROM outbox WHERE recipient = ? AND kind = 'password_reset'`,
        user.user.email,
      ),
    ).toBe(1);
    expect(
      await q(`SELECT count(*) AS n FROM outbox WHERE body = 'pr_secret' AND recipient = ?`, user.user.email),
    ).toBe(0);
    expect(await q(`SELECT count(*) AS n FROM invitations WHERE id = ?`, `inv-${uid}`)).toBe(0);
    expect(
      await q(
        `SELECT count(*) AS n FROM runs WHERE id = ? AND stdout IS NULL AND stderr IS NULL`,
        `run-old-${uid}`,
      ),
    ).toBe(1);
    expect(
      await q(`SELECT count(*) AS n FROM runs WHERE id = ? AND stdout = 'NEW-OUTPUT'`, `run-new-${uid}`),
    ).toBe(1);
    // The user's own live session survived.
    const live = await q(
      `SELECT count(*) AS n FROM refresh_families WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
      uid,
      now,
    );
    expect(live).toBe(1);
  });
});
