/**
 * The `airlock` CLI in a real terminal (tmux, from Debian's package): `airlock login` prompts for the
 * password without echoing it, and `airlock run` streams output to the terminal while the program is
 * still running, then exits with the program's code; `airlock task` shows the model's text, then the
 * program's output, and exits with its code. tmux runs the CLI as an argument array.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client } from './support/client.ts';
import { freshProviderKey, programReply, scriptReplies } from './support/openai-server.ts';

const { edgeUrl, openaiControlUrl } = inject('system');
const BIN = fileURLToPath(new URL('../cli/bin/airlock.js', import.meta.url));
const PASSWORD = 'correct horse battery staple 42';
const SOCKET = `airlock-e2e-${process.pid}`;
const run = promisify(execFile);
const tmux = (...args: string[]) => run('tmux', ['-L', SOCKET, ...args]);

const work = mkdtempSync(join(tmpdir(), 'airlock-tty-'));
const env = { AIRLOCK_URL: edgeUrl, XDG_CONFIG_HOME: join(work, 'config'), PATH: process.env.PATH ?? '' };

/** Starts `node airlock ...args` in a detached tmux window that stays after the CLI exits. */
async function start(name: string, args: string[], extraEnv: Record<string, string> = {}) {
  const vars = Object.entries({ ...env, ...extraEnv }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '160',
    '-y',
    '40',
    ...vars,
    // The CLI and its arguments stay an argument array ("$@"); the shell around it only reports the
    // exit status on the screen and keeps the pane open (tmux's own pane_dead_status proved racy).
    'sh',
    '-c',
    '"$@"; echo "[exit $?]"; exec sleep 600',
    'sh',
    process.execPath,
    BIN,
    ...args,
  );
}

const screen = async (name: string) => (await tmux('capture-pane', '-p', '-t', name)).stdout;
/** The CLI's exit status once it has ended (printed by the wrapper above), else null. */
const exitStatus = async (name: string) => {
  const match = /\[exit (\d+)\]/.exec(await screen(name));
  return match ? Number(match[1]) : null;
};

/** Polls until `pred` holds; fails with the screen after 60 s (a wait, not a timing assertion). */
async function until(name: string, what: string, pred: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`waited 60 s for ${what}; screen:\n${await screen(name)}`);
}

afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
});

describe('airlock CLI in a terminal', () => {
  it('login prompts for the password without echoing it; run streams live and exits with the program’s code', {
    timeout: 120_000,
  }, async () => {
    const client = new Client(edgeUrl);
    const { email } = await client.signUp();

    await start('login', ['login', '--email', email]);
    await until('login', 'the password prompt', async () => (await screen('login')).includes('Password:'));
    await tmux('send-keys', '-t', 'login', '-l', PASSWORD);
    await tmux('send-keys', '-t', 'login', 'Enter');
    await until('login', 'the login to end', async () => (await exitStatus('login')) !== null);
    const loginScreen = await screen('login');
    expect(loginScreen).toContain(`Logged in to ${edgeUrl} as ${email}`);
    expect(loginScreen).not.toContain(PASSWORD);
    expect(await exitStatus('login')).toBe(0);

    const marker = randomUUID().slice(0, 8);
    const prog = join(work, 'slow.py');
    writeFileSync(
      prog,
      `import time, sys\nprint("first ${marker}", flush=True)\ntime.sleep(3)\nprint("second")\nsys.exit(5)\n`,
    );
    await start('run', ['run', prog, '--timeout', '10000']);
    // Live: some screen shows the first line without the second, printed seconds later.
    let firstScreen = '';
    await until('run', 'the first line', async () => {
      firstScreen = await screen('run');
      return firstScreen.includes(`first ${marker}`);
    });
    expect(firstScreen).not.toContain('second');
    await until('run', 'the run to end', async () => (await exitStatus('run')) !== null);
    expect(await screen('run')).toContain('second');
    expect(await exitStatus('run')).toBe(5);
  });

  it('task: the model’s text, then the program’s output, and its exit code', {
    timeout: 120_000,
  }, async () => {
    const client = new Client(edgeUrl);
    await client.signUp();
    const providerKey = freshProviderKey();
    expect((await client.call('PUT', '/v1/provider-keys/openai', { key: providerKey })).status).toBe(201);
    const key = await client.call('POST', '/v1/api-keys', {
      name: 'tty task',
      scopes: ['tasks:write', 'tasks:read'],
    });
    const marker = randomUUID().slice(0, 8);
    await scriptReplies(
      openaiControlUrl,
      providerKey,
      // The output ("ran <marker>") differs from the source the tokens show.
      programReply(`print("ran", "${marker}")\nraise SystemExit(6)`),
    );

    await start('task', ['task', 'print a marker', '--provider', 'openai', '--model', 'local-coder'], {
      AIRLOCK_API_KEY: key.json.key,
    });
    await until('task', 'the task to end', async () => (await exitStatus('task')) !== null);
    const text = await screen('task');
    const said = text.indexOf('Here is the program.');
    const ran = text.indexOf(`ran ${marker}`);
    expect(said, text).toBeGreaterThanOrEqual(0);
    expect(ran, text).toBeGreaterThan(said);
    expect(text).toMatch(/airlock: task [\w-]+ failed after 1 attempt/);
    expect(await exitStatus('task')).toBe(6);
  });
});
