/**
 * Piston compatibility, pure logic: credentials, runtime names and version ranges, the request
 * mapping and the result mapping. The routes themselves run against a real host in execute.test.ts.
 */
import { LIMITS } from '@airlock/protocol';
import { describe, expect, it } from 'vitest';
import { pistonApiKey } from '../../src/domain/piston/credentials.ts';
import { parsePistonExecute } from '../../src/domain/piston/request.ts';
import { pistonResult } from '../../src/domain/piston/response.ts';
import {
  findPistonRuntime,
  pistonRuntimes,
  runtimeListView,
  semverOf,
} from '../../src/domain/piston/runtimes.ts';
import type { RuntimeView } from '../../src/domain/runs/runtimes.ts';
import type { RunView } from '../../src/domain/runs/view.ts';

const KEY = `ak_abcd1234_${'x'.repeat(43)}`;

function runtime(
  language: string,
  version: string,
  compiled = false,
  fileName = `main.${language}`,
): RuntimeView {
  return {
    language,
    name: language,
    version,
    fileName,
    compiled,
    limits: {
      defaultTimeoutMs: 5000,
      maxTimeoutMs: 15_000,
      compileTimeoutMs: compiled ? 15_000 : null,
      defaultMemoryMb: 256,
      maxMemoryMb: 512,
      maxOutputBytes: LIMITS.maxOutputBytes,
      maxCodeBytes: LIMITS.maxCodeBytes,
      maxStdinBytes: LIMITS.maxStdinBytes,
    },
  };
}

const RUNTIMES = pistonRuntimes([
  runtime('python', 'Python 3.13.5', false, 'main.py'),
  runtime('javascript', 'v20.19.2', false, 'main.js'),
  runtime('c', 'gcc (Debian 14.2.0-19) 14.2.0', true, 'main.c'),
  runtime('cpp', 'g++ (Debian 14.2.0-19) 14.2.0', true, 'main.cpp'),
  runtime('go', 'go version go1.24.4 linux/amd64', true, 'main.go'),
]);

const byName = (language: string) => RUNTIMES.find((r) => r.language === language);

describe('piston credentials', () => {
  const b64 = (s: string) => btoa(s);
  it.each([
    ['the bare key', KEY],
    ['Bearer', `Bearer ${KEY}`],
    ['bearer, any case', `bearer ${KEY}`],
    ['Basic key:password', `Basic ${b64(`${KEY}:whatever`)}`],
    ['Basic key: (empty password)', `Basic ${b64(`${KEY}:`)}`],
    ['Basic key without a colon (node-fetch 2)', `Basic ${b64(KEY)}`],
  ])('accepts %s', (_name, header) => {
    expect(pistonApiKey(header)).toBe(KEY);
  });

  it.each([
    ['nothing', undefined],
    ['an empty header', ''],
    ['an access token (not an API key)', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig'],
    ['Basic with a non-key user', `Basic ${b64('alice:secret')}`],
    ['Basic that is not base64', 'Basic %%%'],
    ['a key with spaces', `${KEY} extra`],
  ])('refuses %s', (_name, header) => {
    expect(pistonApiKey(header)).toBeUndefined();
  });
});

describe('piston runtimes', () => {
  it('reads semver out of the hosts’ version texts', () => {
    expect(semverOf('Python 3.13.5')).toBe('3.13.5');
    expect(semverOf('go version go1.24.4 linux/amd64')).toBe('1.24.4');
    expect(semverOf('g++ (Debian 14.2.0-19) 14.2.0')).toBe('14.2.0');
    expect(semverOf('openjdk version "21.0.13.1" 2026-11-17')).toBe('21.0.13');
    expect(semverOf('Lua 5.4')).toBe('5.4.0');
    expect(semverOf(null)).toBe('0.0.0');
  });

  it('lists Piston’s names, aliases and runtime, and nothing of Airlock’s internals', () => {
    const list = runtimeListView(RUNTIMES);
    expect(list).toContainEqual({ language: 'python', version: '3.13.5', aliases: ['py', 'py3', 'python3'] });
    expect(list).toContainEqual({
      language: 'javascript',
      version: '20.19.2',
      aliases: ['node-javascript', 'node-js', 'js', 'node'],
      runtime: 'node',
    });
    expect(list).toContainEqual({
      language: 'c++',
      version: '14.2.0',
      aliases: ['cpp', 'g++'],
      runtime: 'gcc',
    });
    for (const entry of list) expect(Object.keys(entry).sort()).not.toContain('airlock');
  });

  it.each([
    ['python', '3.13.5'],
    ['py', '*'],
    ['python3', '3.x'],
    ['py3', '>=3.10 <4'],
    ['python', '^3.12'],
    ['python', '3'],
  ])('finds %s with version %s', (language, version) => {
    expect(findPistonRuntime(RUNTIMES, language, version)?.airlock.language).toBe('python');
  });

  it('finds aliases of other runtimes: node, c++, cpp, golang', () => {
    expect(findPistonRuntime(RUNTIMES, 'node', '*')?.airlock.language).toBe('javascript');
    expect(findPistonRuntime(RUNTIMES, 'c++', '*')?.airlock.language).toBe('cpp');
    expect(findPistonRuntime(RUNTIMES, 'cpp', '14.2.0')?.airlock.language).toBe('cpp');
    expect(findPistonRuntime(RUNTIMES, 'golang', '1.24.x')?.airlock.language).toBe('go');
  });

  it.each([
    ['python', '3.12.0'],
    ['python', '2.x'],
    ['python', 'not a range'],
    ['cobol', '*'],
  ])('does not find %s %s', (language, version) => {
    expect(findPistonRuntime(RUNTIMES, language, version)).toBeUndefined();
  });
});

const body = (extra: Record<string, unknown> = {}) => ({
  language: 'python',
  version: '*',
  files: [{ content: 'print(1)' }],
  ...extra,
});

function parsed(b: unknown) {
  const result = parsePistonExecute(b, RUNTIMES);
  if (!result.ok) throw new Error(result.message);
  return result.request;
}
function refused(b: unknown): string {
  const result = parsePistonExecute(b, RUNTIMES);
  if (result.ok) throw new Error('accepted');
  return result.message;
}

describe('piston execute request → run request', () => {
  it('names the entry file as the runtime runs it, keeps the others, adds Piston’s stdin newline', () => {
    const req = parsed(
      body({
        files: [
          { name: 'prog.py', content: 'import helper' },
          { name: 'helper.py', content: 'X = 1' },
        ],
        stdin: 'abc',
        args: ['1', '2'],
      }),
    );
    expect(req).toEqual({
      language: 'python',
      files: [
        { name: 'main.py', content: 'import helper' },
        { name: 'helper.py', content: 'X = 1' },
      ],
      stdin: 'abc\n',
      args: ['1', '2'],
      limits: {},
    });
    expect(parsed(body({ stdin: 'x\n' })).stdin).toBe('x\n');
    expect(parsed(body()).stdin).toBe('\n');
  });

  it('decodes base64 and hex files; the entry is the first utf8 file, sent first (Airlock runs that)', () => {
    const req = parsed(
      body({
        files: [
          { name: 'data.txt', content: btoa('hello'), encoding: 'base64' },
          { name: 'more.txt', content: '776f726c64', encoding: 'hex' },
          { content: 'print(open("data.txt").read())' },
        ],
      }),
    );
    expect(req.files).toEqual([
      { name: 'main.py', content: 'print(open("data.txt").read())' },
      { name: 'data.txt', content: 'hello' },
      { name: 'more.txt', content: 'world' },
    ]);
  });

  it('maps -1 limits to the maximum and bytes to MiB, and keeps the run timeout', () => {
    expect(
      parsed(body({ run_memory_limit: -1, compile_memory_limit: -1, run_timeout: 3000 })).limits,
    ).toEqual({
      memoryMb: 512,
      timeoutMs: 3000,
    });
    expect(parsed(body({ run_memory_limit: 100_000_000 })).limits).toEqual({ memoryMb: 96 });
    expect(parsed(body({ run_memory_limit: 1000 })).limits).toEqual({ memoryMb: LIMITS.minMemoryMb });
    expect(parsed(body({ run_timeout: -1 })).limits).toEqual({ timeoutMs: 15_000 });
    expect(parsed(body({ run_timeout: 0 })).limits).toEqual({});
  });

  it('takes what piston-client sends by default', () => {
    const req = parsed({
      language: 'python',
      version: '3.13.5',
      files: [{ content: 'print(1)' }],
      stdin: '',
      args: ['1', '2', '3'],
      compile_timeout: 10_000,
      run_timeout: 3000,
      compile_memory_limit: -1,
      run_memory_limit: -1,
    });
    expect(req).toMatchObject({ args: ['1', '2', '3'], limits: { timeoutMs: 3000, memoryMb: 512 } });
  });

  it.each([
    [null, 'request body must be a JSON object'],
    [[], 'request body must be a JSON object'],
    [{ version: '*', files: [] }, 'language is required as a string'],
    [{ language: 'python', files: [] }, 'version is required as a string'],
    [{ language: 'python', version: '*' }, 'files is required as an array'],
    [body({ files: [{ name: 'a.py' }] }), 'files[0].content is required as a string'],
    [body({ language: 'cobol' }), 'cobol-* runtime is unknown'],
    [body({ version: '2.7.18' }), 'python-2.7.18 runtime is unknown'],
    [
      body({ files: [{ content: 'eA==', encoding: 'base64' }] }),
      'files must include at least one utf8 encoded file',
    ],
    [body({ run_timeout: '3000' }), 'If specified, run_timeout must be a number'],
    [body({ run_timeout: 60_000 }), 'run_timeout cannot exceed the configured limit of 15000'],
    [body({ run_timeout: -5 }), 'run_timeout must be non-negative'],
    [
      body({ run_memory_limit: 4 * 1024 ** 3 }),
      `run_memory_limit cannot exceed the configured limit of ${512 * 1024 ** 2}`,
    ],
    [body({ args: 'a b' }), 'args must be an array of strings'],
    [body({ stdin: 5 }), 'stdin must be a string'],
  ])('refuses %j with Piston’s message', (b, message) => {
    expect(refused(b)).toBe(message);
  });

  it('refuses files Airlock cannot hold: binary content, paths, a second entry name', () => {
    const binary = { name: 'blob.bin', content: btoa('\u00ff\u00fe'), encoding: 'base64' };
    expect(refused(body({ files: [{ content: 'x' }, binary] }))).toMatch(
      /files\[1\]\.content is not valid base64/,
    );
    expect(
      refused(body({ files: [{ content: 'x' }, { name: 'a', content: 'zz', encoding: 'hex' }] })),
    ).toMatch(/files\[1\]\.content is not valid hex/);
    expect(refused(body({ files: [{ content: 'x' }, { name: 'dir/a.py', content: '' }] }))).toMatch(
      /files\[1\]\.name/,
    );
    expect(
      refused(
        body({
          files: [
            { name: 'a.py', content: 'x' },
            { name: 'main.py', content: '' },
          ],
        }),
      ),
    ).toMatch(/main\.py is the entry point/);
  });

  it('applies the protocol’s own limits (code size)', () => {
    const big = 'x'.repeat(LIMITS.maxCodeBytes + 1);
    expect(refused(body({ files: [{ content: big }] }))).toMatch(/bytes/);
  });
});

const view = (over: Partial<RunView>): RunView => ({
  id: 'r1',
  language: 'python',
  status: 'succeeded',
  exitCode: 0,
  signal: null,
  stdout: 'out\n',
  stderr: 'err\n',
  stdoutTruncated: false,
  stderrTruncated: false,
  wallMs: 120,
  cpuMs: 30,
  peakMemoryBytes: 9_000_000,
  createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  ...over,
});

describe('run result → piston answer', () => {
  const python = byName('python');
  const c = byName('c');
  if (!python || !c) throw new Error('fixture runtimes missing');

  it('an interpreted run: run only, every Piston field, figures from the run', () => {
    const answer = pistonResult(python, view({}));
    expect(answer).toEqual({
      language: 'python',
      version: '3.13.5',
      run: {
        stdout: 'out\n',
        stderr: 'err\n',
        output: 'out\nerr\n',
        code: 0,
        signal: null,
        message: null,
        status: null,
        memory: 9_000_000,
        cpu_time: 30,
        wall_time: 120,
      },
    });
  });

  it('a compiled run that compiled: a clean compile stage, everything in run', () => {
    const answer = pistonResult(c, view({ language: 'c' }));
    expect(answer.compile).toMatchObject({ code: 0, status: null, stdout: '', stderr: '', memory: null });
    expect(answer.run).toMatchObject({ code: 0, stdout: 'out\n', cpu_time: 30 });
  });

  it('a compile error: compile carries it and run is the same object, as on Piston', () => {
    const answer = pistonResult(
      c,
      view({ status: 'compile_failed', exitCode: 1, stdout: '', stderr: 'error: nope' }),
    );
    expect(answer.compile).toMatchObject({
      code: 1,
      status: 'RE',
      stderr: 'error: nope',
      output: 'error: nope',
    });
    expect(answer.run).toEqual(answer.compile);
  });

  it('a compiler that ran out of time is TO', () => {
    const answer = pistonResult(c, view({ status: 'compile_failed', exitCode: null }));
    expect(answer.compile).toMatchObject({ status: 'TO', signal: 'SIGKILL', code: null });
  });

  it.each([
    [
      { status: 'failed', exitCode: 3 },
      { status: 'RE', code: 3, signal: null, message: 'Exited with error status 3' },
    ],
    [
      { status: 'failed', exitCode: 139, signal: 'SIGSEGV' },
      { status: 'SG', code: null, signal: 'SIGSEGV' },
    ],
    [
      { status: 'timed_out', exitCode: null },
      { status: 'TO', code: null, signal: 'SIGKILL' },
    ],
    [
      { status: 'oom_killed', exitCode: 137 },
      { status: 'SG', signal: 'SIGKILL', message: 'Memory limit exceeded' },
    ],
    [
      { status: 'output_limited', stdoutTruncated: true },
      { status: 'OL', signal: 'SIGKILL' },
    ],
    [
      { status: 'output_limited', stderrTruncated: true },
      { status: 'EL', signal: 'SIGKILL' },
    ],
    [{ status: 'host_lost', exitCode: null }, { status: 'XX' }],
  ] as [Partial<RunView>, Record<string, unknown>][])('%j → %j', (over, expected) => {
    expect(pistonResult(python, view(over)).run).toMatchObject(expected);
  });
});
