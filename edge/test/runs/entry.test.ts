/**
 * Multi-file semantics users of other platforms expect (issue #15, item 4), through the API with a real
 * sandbox host: the first of several files is the entry point, and Java runs whatever its public class
 * is called.
 */
import { describe, expect, it } from 'vitest';
import { registerUser, runAndWait } from './support.ts';

const java = (cls: string) =>
  `public class ${cls} { public static void main(String[] a) { System.out.println("hi from ${cls}"); } }\n`;

describe('runs: the entry point', { timeout: 60_000 }, () => {
  it('with several files and no entry, the first file runs (not main.py)', async () => {
    const user = await registerUser();
    const run = await runAndWait(user, {
      language: 'python',
      files: [
        { name: 'app.py', content: 'import helper\nprint("app", helper.X)' },
        { name: 'main.py', content: 'print("main.py is not the entry")' },
        { name: 'helper.py', content: 'X = 42' },
      ],
    });
    expect(run).toMatchObject({ status: 'succeeded', stdout: 'app 42\n' });
  });

  it('java: code declaring public class HelloWorld runs', async () => {
    const user = await registerUser();
    const run = await runAndWait(user, { language: 'java', code: java('HelloWorld') });
    expect(run).toMatchObject({ status: 'succeeded', stdout: 'hi from HelloWorld\n' });
  });

  it('java: a single file named Test.java runs', async () => {
    const user = await registerUser();
    const run = await runAndWait(user, {
      language: 'java',
      files: [{ name: 'Test.java', content: java('Test') }],
    });
    expect(run).toMatchObject({ status: 'succeeded', stdout: 'hi from Test\n' });
  });
});
