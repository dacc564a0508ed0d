/**
 * Every installed language, end to end through the WebSocket: hello world, stdin echo, a runtime error
 * with its exit code, and (compiled languages) a compile error.
 */
import { LIMITS } from '@airlock/protocol';
import { describe, expect, it } from 'vitest';
import { runOnHost, withTestHost } from './support.ts';

interface Case {
  language: string;
  hello: string;
  echo: string;
  /** Exits with status 3 after writing "boom" to stderr. */
  crash: string;
  compileError?: string;
}

const cases: Case[] = [
  {
    language: 'python',
    hello: 'print("hello, world")',
    echo: 'import sys\nsys.stdout.write(sys.stdin.read())',
    crash: 'import sys\nsys.stderr.write("boom\\n")\nsys.exit(3)',
  },
  {
    language: 'javascript',
    hello: 'console.log("hello, world")',
    echo: 'process.stdout.write(require("fs").readFileSync(0, "utf8"))',
    crash: 'console.error("boom"); process.exit(3)',
  },
  {
    language: 'typescript',
    hello: 'const who: string = "world";\nconsole.log("hello, " + who)',
    echo: 'declare const require: any;\nconst fs = require("fs");\nprocess.stdout.write(fs.readFileSync(0, "utf8") as string)',
    crash: 'console.error("boom");\nprocess.exit(3 as number)',
    compileError: 'const x: number = ;\nconsole.log(x)',
  },
  {
    language: 'bash',
    hello: 'echo "hello, world"',
    echo: 'cat',
    crash: 'echo boom >&2; exit 3',
  },
  {
    language: 'c',
    hello: '#include <stdio.h>\nint main(void){ puts("hello, world"); return 0; }',
    echo: '#include <stdio.h>\nint main(void){ int c; while((c=getchar())!=EOF) putchar(c); return 0; }',
    crash: '#include <stdio.h>\nint main(void){ fputs("boom\\n", stderr); return 3; }',
    compileError: 'int main(void){ return nope; }',
  },
  {
    language: 'cpp',
    hello: '#include <iostream>\nint main(){ std::cout << "hello, world" << std::endl; }',
    echo: '#include <iostream>\nint main(){ std::cout << std::cin.rdbuf(); }',
    crash: '#include <iostream>\nint main(){ std::cerr << "boom" << std::endl; return 3; }',
    compileError: 'int main(){ undeclared(); }',
  },
  {
    language: 'go',
    hello: 'package main\nimport "fmt"\nfunc main() { fmt.Println("hello, world") }',
    echo: 'package main\nimport ("io"; "os")\nfunc main() { io.Copy(os.Stdout, os.Stdin) }',
    crash: 'package main\nimport ("fmt"; "os")\nfunc main() { fmt.Fprintln(os.Stderr, "boom"); os.Exit(3) }',
    compileError: 'package main\nfunc main() { x := }',
  },
  {
    language: 'rust',
    hello: 'fn main() { println!("hello, world"); }',
    echo: 'use std::io::{self, Read, Write};\nfn main() { let mut s = String::new(); io::stdin().read_to_string(&mut s).unwrap(); io::stdout().write_all(s.as_bytes()).unwrap(); }',
    crash: 'fn main() { eprintln!("boom"); std::process::exit(3); }',
    compileError: 'fn main() { let x: i32 = "nope"; }',
  },
  {
    language: 'java',
    hello:
      'public class Main { public static void main(String[] a) { System.out.println("hello, world"); } }',
    echo: 'public class Main { public static void main(String[] a) throws Exception { System.in.transferTo(System.out); System.out.flush(); } }',
    crash:
      'public class Main { public static void main(String[] a) { System.err.println("boom"); System.exit(3); } }',
    compileError: 'public class Main { public static void main(String[] a) { int x = "nope"; } }',
  },
  {
    language: 'ruby',
    hello: 'puts "hello, world"',
    echo: 'print STDIN.read',
    crash: 'STDERR.puts "boom"; exit 3',
  },
  {
    language: 'php',
    hello: '<?php echo "hello, world\\n";',
    echo: '<?php echo stream_get_contents(STDIN);',
    crash: '<?php fwrite(STDERR, "boom\\n"); exit(3);',
  },
  {
    language: 'lua',
    hello: 'print("hello, world")',
    echo: 'io.write(io.read("a"))',
    crash: 'io.stderr:write("boom\\n"); os.exit(3)',
  },
];

// These programs test what each language reports, not time limits, so they get the longest one: a run
// that finds its language's warm container taken starts its interpreter within its own time, and under
// gVisor, with the pool filling twelve languages on two cores, a Python crash took 5.2 s that way in one
// clean-clone CI and timed out in another (2026-12-04; quiet: 1.6 s).
const h = withTestHost({
  POOL_SIZE: '1',
  MAX_CONCURRENT_RUNS: '2',
  RUN_DEFAULT_TIMEOUT_MS: String(LIMITS.maxTimeoutMs),
});

describe.each(cases)('$language', (c) => {
  it('is installed', () => {
    expect(h.host.runtimes.map((r) => r.manifest.language)).toContain(c.language);
  });

  it('runs hello world', async () => {
    const out = await runOnHost(h, { language: c.language, code: c.hello });
    expect(out.result).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: 'hello, world\n' });
    expect(out.streamed.stdout).toBe('hello, world\n');
  });

  it('echoes stdin', async () => {
    const stdin = 'line one\nünïcødé ✓\n';
    const out = await runOnHost(h, { language: c.language, code: c.echo, stdin });
    expect(out.result).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: stdin });
  });

  it('reports a runtime error with its exit code', async () => {
    const out = await runOnHost(h, { language: c.language, code: c.crash });
    expect(out.result).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(out.result?.stderr).toContain('boom');
  });

  if (c.compileError) {
    const code = c.compileError;
    it('reports a compile error', async () => {
      const out = await runOnHost(h, { language: c.language, code });
      expect(out.result?.status).toBe('compile_failed');
      expect(out.result?.exitCode).not.toBe(0);
      expect(out.result?.stderr.length).toBeGreaterThan(0);
    });
  }
});

/** Issue #15: the first file is the entry point; Java runs whatever its public class is called. */
describe('entry point', () => {
  it('python: the first of several files runs, not main.py, and imports its neighbours', async () => {
    const out = await runOnHost(h, {
      language: 'python',
      files: [
        { name: 'app.py', content: 'import sys, util\nprint(util.X, sys.argv[1:], __file__)' },
        { name: 'main.py', content: 'print("main.py is not the entry")' },
        { name: 'util.py', content: 'X = "from util"' },
      ],
      args: ['a b'],
    });
    expect(out.result).toMatchObject({ status: 'succeeded', stdout: "from util ['a b'] /work/app.py\n" });
  });

  it('c: the first file is compiled under its own name', async () => {
    const out = await runOnHost(h, {
      language: 'c',
      files: [
        {
          name: 'prog.c',
          content: '#include <stdio.h>\n#include "greet.h"\nint main(void){ puts(GREETING); }',
        },
        { name: 'greet.h', content: '#define GREETING "hello from prog.c"' },
      ],
    });
    expect(out.result).toMatchObject({ status: 'succeeded', stdout: 'hello from prog.c\n' });
  });

  it('bash: the first file runs with the args', async () => {
    const out = await runOnHost(h, {
      language: 'bash',
      files: [
        { name: 'run.sh', content: 'source ./lib.sh; say "$1"' },
        { name: 'lib.sh', content: 'say() { echo "said: $1"; }' },
      ],
      args: ['it'],
    });
    expect(out.result).toMatchObject({ status: 'succeeded', stdout: 'said: it\n' });
  });

  const java = (cls: string, body = 'System.out.println("hello from " + NAME);') =>
    `public class ${cls} {\n  static final String NAME = "${cls}";\n  public static void main(String[] a) { ${body} }\n}\n`;

  it('java: code declaring public class HelloWorld runs', async () => {
    const out = await runOnHost(h, { language: 'java', code: java('HelloWorld') });
    expect(out.result).toMatchObject({ status: 'succeeded', stdout: 'hello from HelloWorld\n' });
  });

  it('java: a single file named Test.java runs', async () => {
    const out = await runOnHost(h, {
      language: 'java',
      files: [{ name: 'Test.java', content: java('Test') }],
    });
    expect(out.result).toMatchObject({ status: 'succeeded', stdout: 'hello from Test\n' });
  });

  it('java: a public class in a package, using a class from another file', async () => {
    const out = await runOnHost(h, {
      language: 'java',
      files: [
        {
          name: 'Main.java',
          content: `package demo;\n${java('Greeter', 'System.out.println(Util.twice(NAME));')}`,
        },
        {
          name: 'Util.java',
          content: 'package demo;\nclass Util { static String twice(String s) { return s + s; } }',
        },
      ],
    });
    expect(out.result).toMatchObject({ status: 'succeeded', stdout: 'GreeterGreeter\n' });
  });
});
