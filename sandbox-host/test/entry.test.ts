/**
 * The entry rule (runner/entry.ts) and Java's class detection (runner/java-class.ts), as pure functions;
 * languages.test.ts runs the same cases in real containers.
 */
import { describe, expect, it } from 'vitest';
import { wrapperHeader } from '../src/docker/wrapper.ts';
import { c } from '../src/images/manifests/c.ts';
import { java } from '../src/images/manifests/java.ts';
import { python } from '../src/images/manifests/python.ts';
import { planRun } from '../src/runner/entry.ts';
import { javaMainClass, topLevelText } from '../src/runner/java-class.ts';

describe('entry: the first file', () => {
  it('code is stored under the runtime file name and run as it is today', () => {
    expect(planRun(python, { language: 'python', code: 'print(1)' })).toEqual({
      files: [{ name: 'main.py', content: 'print(1)' }],
      compile: null,
      run: ['python3', '-u', 'main.py'],
    });
  });

  it('with several files, the first one is run, whatever the others are called', () => {
    const files = [
      { name: 'app.py', content: 'import util' },
      { name: 'main.py', content: 'raise SystemExit(9)' },
      { name: 'util.py', content: '' },
    ];
    expect(planRun(python, { language: 'python', files })).toEqual({
      files,
      compile: null,
      run: ['python3', '-u', 'app.py'],
    });
  });

  it('a compiled language compiles the first file', () => {
    const plan = planRun(c, { language: 'c', files: [{ name: 'prog.c', content: 'int main(){}' }] });
    expect(plan.compile).toEqual(['gcc', '-O2', '-std=gnu17', '-o', 'main', 'prog.c', '-lm']);
    expect(plan.run).toEqual(['./main']);
  });
});

describe('entry: Java runs whatever its public class is called', () => {
  const hello = (cls: string) =>
    `public class ${cls} { public static void main(String[] a) { System.out.println("hi"); } }`;

  it('code declaring public class HelloWorld is stored as HelloWorld.java and launched as HelloWorld', () => {
    const plan = planRun(java, { language: 'java', code: hello('HelloWorld') });
    expect(plan.files).toEqual([{ name: 'HelloWorld.java', content: hello('HelloWorld') }]);
    expect(plan.compile?.at(-1)).toBe('HelloWorld.java');
    expect(plan.run.at(-1)).toBe('HelloWorld');
  });

  it('a single file Test.java with public class Test keeps its name', () => {
    const plan = planRun(java, { language: 'java', files: [{ name: 'Test.java', content: hello('Test') }] });
    expect(plan.files[0]?.name).toBe('Test.java');
    expect(plan.compile?.at(-1)).toBe('Test.java');
    expect(plan.run.at(-1)).toBe('Test');
  });

  it('no public class: the file keeps its name and the first top-level class is launched', () => {
    const src = 'class Helper {}\nclass Other { public static void main(String[] a) {} }';
    const plan = planRun(java, { language: 'java', files: [{ name: 'Prog.java', content: src }] });
    expect(plan.files[0]?.name).toBe('Prog.java');
    expect(plan.run.at(-1)).toBe('Helper');
  });

  it('a rename that would clash with another file is not made (javac reports it)', () => {
    const files = [
      { name: 'Main.java', content: hello('Util') },
      { name: 'Util.java', content: 'class X {}' },
    ];
    const plan = planRun(java, { language: 'java', files });
    expect(plan.files.map((f) => f.name)).toEqual(['Main.java', 'Util.java']);
  });

  it('a package qualifies the launched class', () => {
    expect(javaMainClass(`package com.example.app;\n${hello('App')}`)).toEqual({
      publicType: 'App',
      launch: 'com.example.app.App',
    });
  });

  it('comments, strings, text blocks and nested classes are not taken for the declaration', () => {
    const src = [
      '// public class Comment {}',
      '/* public class Block {} */',
      '@SuppressWarnings("public class Str")',
      'final class First { String t = """',
      'public class Text {}',
      '"""; char q = \'"\'; public static class Nested {} }',
      'public final class Real { }',
    ].join('\n');
    expect(javaMainClass(src)).toEqual({ publicType: 'Real', launch: 'Real' });
    expect(topLevelText('class A { class B {} } class C {}')).toBe('class A  class C ');
  });

  it('names unsafe as a file name or command word are not used', () => {
    expect(javaMainClass('public class Caf\u00e9 {}')).toEqual({ publicType: null, launch: null });
    expect(javaMainClass('public class A$B {}')).toEqual({ publicType: null, launch: null });
    const plan = planRun(java, {
      language: 'java',
      files: [{ name: 'Odd.java', content: 'public class A$B {}' }],
    });
    expect(plan.files[0]?.name).toBe('Odd.java');
    expect(plan.run.at(-1)).toBe('Odd');
  });

  it('takes linear time in the source length (an unterminated comment or string scans once)', () => {
    for (const src of ['/*'.repeat(200_000), '"'.repeat(200_001), '{'.repeat(400_000)]) {
      expect(javaMainClass(src)).toEqual({ publicType: null, launch: null });
    }
  });
});

describe('wrapper header', () => {
  it('carries the commands as lines of words; a word with whitespace is refused, never sent', () => {
    const header = wrapperHeader({
      nonce: 'n',
      tarBytes: 10,
      argBytes: [1, 2],
      compile: null,
      run: ['./main'],
    });
    expect(header.toString('latin1')).toBe('AL2 n 10 1 2\n\n./main\n');
    expect(() =>
      wrapperHeader({ nonce: 'n', tarBytes: 0, argBytes: [], compile: null, run: ['a b'] }),
    ).toThrow(/not representable/);
  });
});

describe('entry: Java compiles every .java file', () => {
  it('the entry first, then the other .java files; other files are not passed to javac', () => {
    const plan = planRun(java, {
      language: 'java',
      files: [
        { name: 'Main.java', content: 'public class App {}' },
        { name: 'Util.java', content: '' },
        { name: 'data.txt', content: '' },
      ],
    });
    expect(plan.compile?.slice(-3)).toEqual(['.', 'App.java', 'Util.java']);
  });
});
