import { createInterface } from 'node:readline/promises';
import { AirlockClient, type ApiKey, type Run } from '@airlock/client';
import { credentialsPath, forgetSession, saveSession } from './config.ts';
import { CliError, type Context, EXIT, withClient } from './context.ts';

/** `airlock login`, `logout`, `runs`, `keys`: small commands over the client. */

const print = (ctx: Context, value: unknown, human: () => string) =>
  process.stdout.write(ctx.json ? `${JSON.stringify(value, null, 2)}\n` : human());

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** A password from the terminal, not echoed (raw mode; Enter ends it, Ctrl-C cancels). */
function askSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    function onData(chunk: string) {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliError('cancelled', 130));
          return;
        }
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    }
    stdin.on('data', onData);
  });
}

export async function loginCommand(
  ctx: Context,
  options: { email?: string; passwordStdin: boolean },
): Promise<number> {
  const interactive = process.stdin.isTTY === true;
  const email = options.email ?? (interactive ? await ask('Email: ') : undefined);
  if (!email)
    throw new CliError('login needs --email (and the password on stdin with --password-stdin)', EXIT.usage);
  let password: string;
  if (options.passwordStdin || !interactive) password = await readStdin();
  else password = await askSecret('Password: ');
  if (!password) throw new CliError('no password given', EXIT.usage);
  const client = new AirlockClient({ baseUrl: ctx.url });
  const session = await client.login(email, password);
  const path = await saveSession(
    {
      url: ctx.url,
      email: session.user.email,
      accessToken: session.accessToken,
      refreshToken: session.refreshToken,
    },
    ctx.env,
  );
  print(
    ctx,
    { url: ctx.url, email: session.user.email, credentials: path },
    () => `Logged in to ${ctx.url} as ${session.user.email} (${path})\n`,
  );
  return 0;
}

export async function logoutCommand(ctx: Context): Promise<number> {
  await forgetSession(ctx.env);
  print(ctx, { loggedOut: true }, () => `Logged out (${credentialsPath(ctx.env)} removed)\n`);
  return 0;
}

const pad = (s: string, n: number) => s.padEnd(n);

export async function runsCommand(ctx: Context, options: { limit?: number }): Promise<number> {
  const page = await withClient(ctx, (c) => c.listRuns({ limit: options.limit }));
  print(ctx, page, () => {
    if (page.runs.length === 0) return 'No runs yet.\n';
    const row = (r: Run) =>
      `${pad(r.id, 38)}${pad(r.language, 12)}${pad(r.status, 16)}${pad(String(r.exitCode ?? '-'), 6)}${pad(r.wallMs === null ? '-' : `${Math.round(r.wallMs)} ms`, 10)}${r.createdAt}`;
    return `${pad('ID', 38)}${pad('LANGUAGE', 12)}${pad('STATUS', 16)}${pad('EXIT', 6)}${pad('WALL', 10)}CREATED\n${page.runs.map(row).join('\n')}\n`;
  });
  return 0;
}

const KEYS_NEED_LOGIN = 'managing API keys needs `airlock login` (an API key cannot manage keys)';

export async function keysCommand(ctx: Context, sub: string[], scopes: string[]): Promise<number> {
  const [action = 'list', arg] = sub;
  const session = { sessionOnly: KEYS_NEED_LOGIN };
  if (action === 'list') {
    const keys = await withClient(ctx, (c) => c.listKeys(), session);
    print(ctx, { keys }, () =>
      keys.length === 0
        ? 'No API keys.\n'
        : `${keys.map((k: ApiKey) => `${pad(k.id, 38)}${pad(k.name, 24)}${k.scopes.join(',')}`).join('\n')}\n`,
    );
    return 0;
  }
  if (action === 'create') {
    if (!arg) throw new CliError('usage: airlock keys create NAME [--scope runs:write]...', EXIT.usage);
    const created = await withClient(
      ctx,
      (c) => c.createKey({ name: arg, scopes: scopes.length > 0 ? scopes : ['runs:write', 'runs:read'] }),
      session,
    );
    print(ctx, created, () => `${created.key}\n`);
    if (!ctx.json) process.stderr.write('airlock: the key is shown once; keep it secret (AIRLOCK_API_KEY)\n');
    return 0;
  }
  if (action === 'revoke') {
    if (!arg) throw new CliError('usage: airlock keys revoke ID', EXIT.usage);
    await withClient(ctx, (c) => c.revokeKey(arg), session);
    print(ctx, { revoked: arg }, () => `Revoked ${arg}\n`);
    return 0;
  }
  throw new CliError(`unknown keys action ${action}: list, create or revoke`, EXIT.usage);
}
