/**
 * Piston compatibility from outside (issue 17): the `piston-client` npm package, unchanged, pointed at
 * Airlock's base URL with an API key as the URL's user name (node-fetch 2 turns it into HTTP Basic).
 * It lists the runtimes and runs a program in every language, over `wrangler dev` and a real host.
 */
import piston from 'piston-client';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { Client } from './support/client.ts';

const { edgeUrl } = inject('system');

/** A program per language (Piston's names) that prints `hi` and its arguments. */
const PROGRAMS: Record<string, string> = {
  python: 'import sys\nprint("hi", *sys.argv[1:])',
  javascript: 'console.log("hi", ...process.argv.slice(2))',
  typescript: 'const args: string[] = process.argv.slice(2)\nconsole.log("hi", ...args)',
  bash: 'echo hi "$@"',
  c: '#include <stdio.h>\nint main(int c, char **v) { printf("hi"); for (int i = 1; i < c; i++) printf(" %s", v[i]); printf("\\n"); return 0; }\n',
  'c++':
    '#include <iostream>\nint main(int c, char **v) { std::cout << "hi"; for (int i = 1; i < c; i++) std::cout << " " << v[i]; std::cout << "\\n"; }\n',
  go: 'package main\nimport ("fmt"; "os"; "strings")\nfunc main() { fmt.Println(strings.Join(append([]string{"hi"}, os.Args[1:]...), " ")) }\n',
  rust: 'fn main() { let a: Vec<String> = std::env::args().collect(); let mut v = vec!["hi".to_string()]; v.extend(a[1..].iter().cloned()); println!("{}", v.join(" ")); }\n',
  java: 'public class Main { public static void main(String[] a) { System.out.println(("hi " + String.join(" ", a)).trim()); } }\n',
  ruby: 'puts (["hi"] + ARGV).join(" ")',
  php: '<?php echo implode(" ", array_merge(["hi"], array_slice($argv, 1))), "\\n";',
  lua: 'local t = {"hi"}\nfor i = 1, #arg do t[#t + 1] = arg[i] end\nprint(table.concat(t, " "))',
};

let key = '';
const withKey = () => edgeUrl.replace('://', `://${key}@`);

beforeAll(async () => {
  const client = new Client(edgeUrl);
  await client.signUp();
  const minted = await client.call('POST', '/v1/api-keys', {
    name: 'piston',
    scopes: ['runs:write', 'runs:read'],
  });
  expect(minted.status).toBe(201);
  key = minted.json.key;
});

describe('piston-client against Airlock', () => {
  it('lists the runtimes: every language, with semver versions', async () => {
    const runtimes = await piston({ server: edgeUrl }).runtimes();
    expect(runtimes.map((r) => r.language).sort()).toEqual(Object.keys(PROGRAMS).sort());
    for (const r of runtimes) expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each(Object.entries(PROGRAMS))(
    'runs %s with its default args (1 2 3)',
    { timeout: 90_000 },
    async (language, code) => {
      const result = await piston({ server: withKey() }).execute(language, code);
      expect(result, JSON.stringify(result)).toMatchObject({
        language,
        run: { stdout: 'hi 1 2 3\n', code: 0, signal: null },
      });
      expect(result.version).toMatch(/^\d+\.\d+\.\d+$/);
      if (['c', 'c++', 'go', 'rust', 'java', 'typescript'].includes(language)) {
        expect(result.compile).toMatchObject({ code: 0 });
      } else {
        expect(result.compile).toBeUndefined();
      }
    },
  );

  it('passes stdin and args, and reports a compile error and a timeout as Piston does', {
    timeout: 90_000,
  }, async () => {
    const client = piston({ server: withKey() });
    const echo = await client.execute('python', 'import sys\nprint(input()[::-1], sys.argv[1:])', {
      stdin: 'olleh',
      args: ['x'],
    });
    expect(echo.run).toMatchObject({ stdout: "hello ['x']\n", code: 0 });
    const broken = await client.execute('c', 'int main(void) { return nope; }');
    expect(broken.compile?.code).not.toBe(0);
    expect(broken.run.stderr).toContain('nope');
    const slow = await client.execute('python', 'while True: pass', { runTimeout: 500 });
    expect(slow.run).toMatchObject({ status: 'TO', signal: 'SIGKILL' });
  });

  it('without a key: the client gets Piston’s {message}', async () => {
    const result = await piston({ server: edgeUrl }).execute('python', 'print(1)');
    expect(result.message).toMatch(/API key/);
    expect(result.run).toBeUndefined();
  });
});
