/**
 * The pre-started Python launcher (src/images/files/python-preload.py) ends a run as `python3 main.py`
 * would end it, then prints the completion marker itself instead of exiting: the interpreter's teardown
 * is off the run's path. Each ending below is what CPython 3.13 does for the same program.
 */
import { describe, expect, it } from 'vitest';
import { runOnHost, withTestHost } from './support.ts';

const h = withTestHost({ POOL_SIZE: '1' });

const run = (code: string, timeoutMs = 10_000) =>
  runOnHost(h, { language: 'python', code, limits: { timeoutMs } });

describe('python launcher: exit statuses as python3 main.py', () => {
  it.each([
    ['sys.exit()', 'succeeded', 0, ''],
    ['sys.exit(None)', 'succeeded', 0, ''],
    ['sys.exit(4)', 'failed', 4, ''],
    ['sys.exit(-1)', 'failed', 255, ''],
    ['sys.exit(256 + 7)', 'failed', 7, ''],
    ['sys.exit(True)', 'failed', 1, ''],
    ['sys.exit("bye")', 'failed', 1, 'bye\n'],
    ['sys.exit(2**70)', 'failed', 255, ''],
  ])('%s', async (call, status, exitCode, stderr) => {
    const out = await run(`import sys\nprint("before")\n${call}`);
    expect(out.result).toMatchObject({ status, exitCode, stdout: 'before\n', stderr });
  });

  it('an uncaught exception: the traceback of the program and 1', async () => {
    const out = await run('def f():\n    raise ValueError("nope")\nf()');
    expect(out.result).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(out.result?.stderr).toMatch(/File "\/work\/main\.py", line 2, in f[\s\S]*ValueError: nope\n$/);
  });
});

describe('python launcher: what the program writes while it exits is kept', () => {
  it('atexit handlers, and finalizers of the garbage it leaves', async () => {
    const code = [
      'import atexit, sys',
      'atexit.register(lambda: print("from atexit"))',
      'class Noisy:',
      '    def __del__(self): sys.stderr.write("from __del__\\n")',
      'a = Noisy()',
      'a.me = a  # a cycle: only the garbage collector frees it',
      'del a',
      'print("main")',
    ].join('\n');
    const out = await run(code);
    expect(out.result).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      stdout: 'main\nfrom atexit\n',
      stderr: 'from __del__\n',
    });
  });

  it('a replaced, buffered sys.stdout is flushed', async () => {
    const code = 'import sys\nsys.stdout = open(1, "w", buffering=65536, closefd=False)\nprint("buffered")';
    const out = await run(code);
    expect(out.result).toMatchObject({ status: 'succeeded', stdout: 'buffered\n' });
  });

  it('non-daemon threads finish first, then the atexit handlers (the interpreter joins them)', async () => {
    const code = [
      'import atexit, threading, time',
      'atexit.register(lambda: print("from atexit"))',
      'threading.Thread(target=lambda: (time.sleep(0.3), print("from the thread"))).start()',
      'print("main")',
    ].join('\n');
    const out = await run(code);
    expect(out.result).toMatchObject({
      status: 'succeeded',
      stdout: 'main\nfrom the thread\nfrom atexit\n',
    });
  });
});

describe('python launcher: the marker reaches the host', () => {
  it('when the program moved its stdout to a file (the wrapper prints it)', async () => {
    const code = [
      'import os, sys',
      'fd = os.open("/tmp/out", os.O_WRONLY | os.O_CREAT, 0o600)',
      'os.dup2(fd, 1)',
      'print("into the file")',
      'sys.stderr.write(open("/tmp/out").read())',
    ].join('\n');
    const out = await run(code, 5000);
    expect(out.result).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      stdout: '',
      stderr: 'into the file\n',
    });
  });

  it('before the interpreter tears down what the program left reachable', async () => {
    // At exit CPython clears every module, and this finalizer would hold the run past its time limit.
    const code = [
      'import json, time',
      'class Slow:',
      '    def __del__(self): time.sleep(60)',
      'json.kept = Slow()',
      'print("done")',
    ].join('\n');
    const out = await run(code, 3000);
    expect(out.result).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: 'done\n' });
  });
});
