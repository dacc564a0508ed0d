/**
 * The statements behind `npm run admin:grant`. `wrangler d1 execute --command` takes no bound
 * parameters, so the one user-supplied value, the email, is validated against a strict pattern
 * (no double quotes, backslashes, semicolons, whitespace or control characters; an apostrophe is
 * legal in an address) *and* embedded as an escaped SQL string literal. Pure (the clock and id come in), so it is tested against real D1.
 */

export type AdminGrant = 'grant' | 'revoke';

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

export function normalizeAdminEmail(input: string): string | null {
  const email = input.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : null;
}

/** `'...'` with embedded quotes doubled: SQL's own escaping, a second line of defence. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function adminGrantStatements(
  email: string,
  grant: AdminGrant,
  context: { now: number; auditId: string; remote: boolean },
): string[] {
  const normalized = normalizeAdminEmail(email);
  if (!normalized) throw new Error('not a plain email address');
  const e = sqlString(normalized);
  const flag = grant === 'grant' ? 1 : 0;
  const metadata = sqlString(JSON.stringify({ via: 'npm run admin:grant', remote: context.remote }));
  return [
    `UPDATE users SET is_admin = ${flag}, updated_at = ${Math.trunc(context.now)} WHERE email = ${e};`,
    `INSERT INTO audit_log (id, at, action, outcome, target_type, target_id, metadata) SELECT ${sqlString(context.auditId)}, ${Math.trunc(context.now)}, ${sqlString(grant === 'grant' ? 'admin.granted' : 'admin.revoked')}, 'success', 'user', id, ${metadata} FROM users WHERE email = ${e};`,
    `SELECT id, email, is_admin FROM users WHERE email = ${e};`,
  ];
}
