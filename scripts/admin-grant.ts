/**
 * Makes an existing user an administrator (or, with --revoke, no longer one). Admins are made here,
 * by an operator with database access, never through the API.
 *
 *   npm run admin:grant -- alice@example.com            # local D1 (wrangler dev's state)
 *   npm run admin:grant -- alice@example.com --remote   # the production D1
 *   npm run admin:grant -- alice@example.com --revoke [--remote]
 *   ... --persist-to <dir>                               # a non-default local state directory
 *
 * Runs `wrangler d1 execute airlock` with an argument array (no shell), and records the change in
 * the audit log. The flag is read from D1 on every admin request, so it takes effect at once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminGrantStatements, normalizeAdminEmail } from './admin-grant-sql.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const usage = 'usage: npm run admin:grant -- <email> [--remote] [--revoke] [--persist-to <dir>]';

function fail(message: string): never {
  console.error(`admin:grant: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
let email: string | undefined;
let remote = false;
let revoke = false;
let persistTo: string | undefined;
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  if (arg === '--remote') remote = true;
  else if (arg === '--local') remote = false;
  else if (arg === '--revoke') revoke = true;
  else if (arg === '--persist-to') persistTo = args[++i] ?? fail(usage);
  else if (arg.startsWith('-')) fail(`unknown option ${arg}\n${usage}`);
  else if (email === undefined) email = arg;
  else fail(usage);
}
if (!email) fail(usage);
const normalized = normalizeAdminEmail(email) ?? fail('that is not a plain email address');
if (remote && persistTo) fail('--persist-to applies to the local database only');

const statements = adminGrantStatements(normalized, revoke ? 'revoke' : 'grant', {
  now: Date.now(),
  auditId: crypto.randomUUID(),
  remote,
});
const localWrangler = resolve(root, 'node_modules/.bin/wrangler');
const wrangler = existsSync(localWrangler) ? localWrangler : 'wrangler';
const wranglerArgs = [
  'd1',
  'execute',
  'airlock',
  remote ? '--remote' : '--local',
  ...(persistTo ? ['--persist-to', persistTo] : []),
  '--json',
  '--command',
  statements.join('\n'),
];

let output: string;
try {
  output = execFileSync(wrangler, wranglerArgs, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
} catch {
  fail(`wrangler d1 execute failed (${remote ? 'remote' : 'local'} database); see the output above`);
}

type Result = { results?: { id: string; email: string; is_admin: number }[] };
let results: Result[];
try {
  results = JSON.parse(output) as Result[];
} catch {
  fail(`unexpected output from wrangler:\n${output}`);
}
const user = results.at(-1)?.results?.[0];
if (!user)
  fail(`no user with the email ${normalized} (${remote ? 'remote' : 'local'} database); nothing changed`);
const state = user.is_admin ? 'is now an administrator' : 'is no longer an administrator';
console.log(`${user.email} (${user.id}) ${state} in the ${remote ? 'remote' : 'local'} database.`);
