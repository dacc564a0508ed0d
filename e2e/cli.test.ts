/**
 * The `airlock` CLI (issue 17), spawned with argument arrays against the running stack: missing
 * credentials, login (0600 credentials), a file per language with stdout and stderr apart and the
 * program's exit code, stdin and args, live output, --json, runs, keys, and a 429 with its wait.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { airlockCli } from './support/cli.ts';
import { Client } from './support/client.ts';

const { edgeUrl } = inject('system');
const PASSWORD = 'correct horse battery staple 42';

const airlock = (args: string[], options?: Parameters<typeof airlockCli>[2]) =>
  airlockCli(edgeUrl, args, options);

const work = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
const file = (name: string, content: string) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};

/** A program per language that prints `out` on stdout, `err` on stderr, and exits 3. */
const PROGRAMS: Record<string, string> = {
  'main.py': 'import sys\nprint("out")\nprint("err", file=sys.stderr)\nsys.exit(3)',
  'main.js': 'console.log("out"); console.error("err"); process.exit(3)',
  'main.ts': 'const o: string = "out"; console.log(o); console.error("err"); process.exit(3)',
  'main.sh': 'echo out; echo err >&2; exit 3',
  'main.c': '#include <stdio.h>\nint main(void) { puts("out"); fputs("err\\n", stderr); return 3; }\n',
  'main.cpp': '#include <iostream>\nint main() { std::cout << "out\\n"; std::cerr << "err\\n"; return 3; }\n',
  'main.go':
    'package main\nimport ("fmt"; "os")\nfunc main() { fmt.Println("out"); fmt.Fprintln(os.Stderr, "err"); os.Exit(3) }\n',
  'main.rs': 'fn main() { println!("out"); eprintln!("err"); std::process::exit(3); }\n',
  'Main.java':
    'public class Main { public static void main(String[] a) { System.out.println("out"); System.err.println("err"); System.exit(3); } }\n',
  'main.rb': 'puts "out"; $stderr.puts "err"; exit 3',
  'main.php': '<?php echo "out\\n"; fwrite(STDERR, "err\\n"); exit(3);',
  'main.lua': 'print("out"); io.stderr:write("err\\n"); os.exit(3)',
};

let config = '';
let session: Record<string, string> = {};
let apiKey = '';

beforeAll(async () => {
  const client = new Client(edgeUrl);
  const { email } = await client.signUp();
  config = mkdtempSync(join(tmpdir(), 'airlock-cli-config-'));
  session = { XDG_CONFIG_HOME: config };
  const login = await airlock(['login', '--email', email, '--password-stdin'], {
    env: session,
    input: `${PASSWORD}\n`,
  });
  expect(login, login.stderr).toMatchObject({ code: 0 });
  const key = await airlock(['--json', 'keys', 'create', 'cli test'], { env: session });
  expect(key.code, key.stderr).toBe(0);
  apiKey = JSON.parse(key.stdout).key;
});

describe('airlock CLI', () => {
  it('without credentials: a clear message and exit 2', async () => {
    const res = await airlock(['run', file('hello.py', 'print(1)')], {
      env: { XDG_CONFIG_HOME: join(work, 'empty') },
    });
    expect(res).toMatchObject({ code: 2, stdout: '' });
    expect(res.stderr).toMatch(/not logged in: run `airlock login`, or set AIRLOCK_API_KEY/);
  });

  it('login kept the session in the config dir, 0600 in a 0700 directory', () => {
    expect(statSync(join(config, 'airlock', 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(config, 'airlock')).mode & 0o777).toBe(0o700);
  });

  it.each(Object.entries(PROGRAMS))(
    'runs %s: stdout and stderr apart, the exit code passed through',
    { timeout: 90_000 },
    async (name, code) => {
      const res = await airlock(['run', file(name, code)], { env: session });
      expect(res).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    },
  );

  it('passes stdin from a file and args after --, with an API key from the environment', async () => {
    const prog = file('echo.py', 'import sys\nprint(sys.stdin.read().strip()[::-1], sys.argv[1:])');
    const res = await airlock(['run', prog, '--stdin', file('in.txt', 'olleh\n'), '--', 'a', '--b'], {
      env: { AIRLOCK_API_KEY: apiKey, XDG_CONFIG_HOME: join(work, 'empty') },
    });
    expect(res).toMatchObject({ code: 0, stdout: "hello ['a', '--b']\n", stderr: '' });
  });

  it('streams output live, while the program is still running', async () => {
    const prog = file('slow.py', 'import time\nprint("first", flush=True)\ntime.sleep(3)\nprint("second")');
    const res = await airlock(['run', prog], { env: session });
    expect(res).toMatchObject({ code: 0, stdout: 'first\nsecond\n' });
    // Written as it came: the first line reached the pipe on its own, before the second existed.
    expect(res.chunks.find((c) => c.includes('first'))).not.toContain('second');
  });

  it('reports a timeout on stderr with exit 124', async () => {
    const res = await airlock(['run', file('loop.py', 'while True: pass'), '--timeout', '500'], {
      env: session,
    });
    expect(res.code).toBe(124);
    expect(res.stderr).toMatch(/ended timed_out/);
  });

  it('--json: the finished run as JSON, and runs lists it', async () => {
    const res = await airlock(['--json', 'run', file('j.py', 'print("j")\nraise SystemExit(4)')], {
      env: session,
    });
    expect(res.code).toBe(4);
    const run = JSON.parse(res.stdout);
    expect(run).toMatchObject({ status: 'failed', exitCode: 4, stdout: 'j\n' });
    const runs = await airlock(['--json', 'runs', '--limit', '50'], { env: session });
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout).runs.map((r: { id: string }) => r.id)).toContain(run.id);
    const table = await airlock(['runs'], { env: session });
    expect(table.stdout).toMatch(/^ID\s+LANGUAGE\s+STATUS/);
  });

  it('keys: listed with a session; refused with only an API key', async () => {
    const list = await airlock(['--json', 'keys'], { env: session });
    expect(JSON.parse(list.stdout).keys.map((k: { name: string }) => k.name)).toContain('cli test');
    const refused = await airlock(['keys'], {
      env: { AIRLOCK_API_KEY: apiKey, XDG_CONFIG_HOME: join(work, 'empty') },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/needs `airlock login`/);
  });

  it('a 429 shows how long to wait, exit 75; with --wait it waits that long and runs', {
    timeout: 90_000,
  }, async () => {
    // A user of its own whose run-creation quota (RATE_LIMIT_RUNS, global-setup.ts) is used up by
    // requests that fail validation (the quota is taken before the body is read), so nothing runs.
    const client = new Client(edgeUrl);
    await client.signUp();
    const minted = await client.call('POST', '/v1/api-keys', {
      name: `burn-${randomUUID()}`,
      scopes: ['runs:write', 'runs:read'],
    });
    const key = minted.json.key as string;
    let status = 0;
    while (status !== 429) {
      const res = await fetch(`${edgeUrl}/v1/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{}',
      });
      status = res.status;
      expect([400, 429]).toContain(status);
    }
    const env = { AIRLOCK_API_KEY: key, XDG_CONFIG_HOME: join(work, 'empty') };
    const refused = await airlock(['run', file('rl.py', 'print(1)')], { env });
    expect(refused).toMatchObject({ code: 75, stdout: '' });
    expect(refused.stderr).toMatch(
      /rate limited \(rate_limited\).*Try again in \d+ s \(--wait waits and retries\)\./,
    );

    const waited = await airlock(['--wait', 'run', file('rl.py', 'print(1)')], { env });
    expect(waited.stderr).toMatch(
      /rate limited \(rate_limited\); waiting \d+ s, then trying again \(--wait\)/,
    );
    expect(waited).toMatchObject({ code: 0, stdout: '1\n' });
  });

  it('an unknown extension, a missing file and a bad flag are usage errors', async () => {
    const ext = await airlock(['run', file('x.zz', '')], { env: session });
    expect(ext).toMatchObject({ code: 2 });
    expect(ext.stderr).toMatch(/cannot tell the language of x\.zz/);
    const missing = await airlock(['run', join(work, 'nope.py')], { env: session });
    expect(missing.stderr).toMatch(/cannot read the file .*nope\.py: ENOENT/);
    const flag = await airlock(['run', '--nope'], { env: session });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/usage: airlock/);
  });
});
