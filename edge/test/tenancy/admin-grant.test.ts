import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminGrantStatements, normalizeAdminEmail, sqlString } from '../../../scripts/admin-grant-sql.ts';
import { as, setAdmin, tenant } from './fixtures.ts';

// `npm run admin:grant -- <email>`: the statements it hands to `wrangler d1 execute`, run on real D1.
const run = (statements: string[]) => env.DB.batch(statements.map((s) => env.DB.prepare(s)));

describe('admin:grant statements', () => {
  it('grant and revoke act on the user with that email (case-insensitively) and are audited', async () => {
    const a = await tenant();
    expect((await as(a.token, '/v1/admin/stats')).status).toBe(403);
    const context = { now: Date.now(), auditId: crypto.randomUUID(), remote: false };
    const results = await run(adminGrantStatements(` ${a.user.user.email.toUpperCase()} `, 'grant', context));
    expect(results.at(-1)?.results).toEqual([{ id: a.user.user.id, email: a.user.user.email, is_admin: 1 }]);
    expect((await as(a.token, '/v1/admin/stats')).status).toBe(200);

    await run(
      adminGrantStatements(a.user.user.email, 'revoke', { ...context, auditId: crypto.randomUUID() }),
    );
    expect((await as(a.token, '/v1/admin/stats')).status).toBe(403);
    const audit = await env.DB.prepare(
      "SELECT action FROM audit_log WHERE target_id = ? AND action IN ('admin.granted', 'admin.revoked') ORDER BY rowid",
    )
      .bind(a.user.user.id)
      .all();
    expect(audit.results).toEqual([{ action: 'admin.granted' }, { action: 'admin.revoked' }]);
    await setAdmin(a.user.user.id, false);
  });

  it('changes nothing for an unknown email', async () => {
    const before = await env.DB.prepare('SELECT count(*) AS n FROM users WHERE is_admin = 1').first();
    const results = await run(
      adminGrantStatements('nobody-here@example.test', 'grant', {
        now: 1,
        auditId: crypto.randomUUID(),
        remote: true,
      }),
    );
    expect(results.at(-1)?.results).toEqual([]);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM users WHERE is_admin = 1').first()).toEqual(
      before,
    );
  });

  it('escapes an apostrophe (legal in an address) instead of breaking the statement', async () => {
    const id = crypto.randomUUID();
    const email = `o'brien-${id.slice(0, 8)}@example.test`;
    await env.DB.prepare(
      'INSERT INTO users (id, email, is_admin, created_at, updated_at) VALUES (?, ?, 0, 1, 1)',
    )
      .bind(id, email)
      .run();
    const others = () =>
      env.DB.prepare('SELECT count(*) AS n FROM users WHERE is_admin = 1 AND id <> ?').bind(id).first();
    const before = await others();
    const results = await run(
      adminGrantStatements(email, 'grant', { now: 2, auditId: crypto.randomUUID(), remote: false }),
    );
    expect(results.at(-1)?.results).toEqual([{ id, email, is_admin: 1 }]);
    expect(await others()).toEqual(before);
  });

  it('refuses anything but a plain email, and escapes quotes regardless', async () => {
    for (const hostile of [
      "x'; UPDATE users SET is_admin = 1; --@example.test",
      'a@b',
      'a b@example.test',
      'a@example.test\nDROP TABLE users',
      '',
    ]) {
      expect(normalizeAdminEmail(hostile)).toBeNull();
      expect(() => adminGrantStatements(hostile, 'grant', { now: 1, auditId: 'x', remote: false })).toThrow();
    }
    const literal = sqlString("x' OR '1'='1");
    const row = await env.DB.prepare(
      `SELECT ${literal} AS v, (SELECT count(*) FROM users WHERE email = ${literal}) AS n`,
    ).first();
    expect(row).toEqual({ v: "x' OR '1'='1", n: 0 });
  });
});
