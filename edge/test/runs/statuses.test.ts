/**
 * A run per status through the edge (issue 5): each final status the host can report arrives as the
 * result, and D1 holds the same. Real containers: timeouts, OOM, output floods and compilers.
 */
import { describe, expect, it } from 'vitest';
import { getRun, type RunView, registerUser, runAndWait } from './support.ts';

describe('runs: every final status', { timeout: 60_000 }, () => {
  it('failed: a runtime error keeps its exit code and stderr', async () => {
    const user = await registerUser();
    const run = await runAndWait(user, {
      language: 'python',
      code: 'import sys\nprint("bad", file=sys.stderr)\nsys.exit(3)',
    });
    expect(run).toMatchObject({ status: 'failed', exitCode: 3, stderr: 'bad\n' });
  });

  it('timed_out: an endless loop, with the output printed before it', async () => {
    const user = await registerUser();
    const run = await runAndWait(user, {
      language: 'python',
      code: 'print("before", flush=True)\nwhile True:\n    pass',
      limits: { timeoutMs: 1000 },
    });
    expect(run).toMatchObject({ status: 'timed_out', stdout: 'before\n' });
    expect(run.wallMs).toBeGreaterThanOrEqual(1000);
  });

  it('oom_killed: a memory bomb under a 128 MiB limit', async () => {
    const user = await registerUser();
    const run = await runAndWait(user, {
      language: 'python',
      code: 'blocks = []\nwhile True:\n    blocks.append("x" * (8 << 20))',
      limits: { memoryMb: 128 },
    });
    expect(run.status).toBe('oom_killed');
    expect(run.peakMemoryBytes).toBeGreaterThan(64 * 1024 * 1024);
  });

  it('output_limited: an output flood is cut at 1 MiB', async () => {
    const user = await registerUser();
    const run = await runAndWait(user, {
      language: 'python',
      code: 'import sys\nwhile True:\n    sys.stdout.write("x" * 65536)',
    });
    expect(run).toMatchObject({ status: 'output_limited', stdoutTruncated: true });
    expect(run.stdout?.length).toBe(1024 * 1024);
    const stored = (await (await getRun(user, run.id)).json()) as RunView;
    expect(stored.stdout).toBe(run.stdout);
  });

  it('compile_failed: C that does not compile', async () => {
    const user = await registerUser();
    const run = await runAndWait(user, { language: 'c', code: 'int main(void) { return nope; }\n' });
    expect(run.status).toBe('compile_failed');
    expect(run.stderr).toContain('nope');
  });

  it('succeeded: C that compiles, from files, with stdin and args', async () => {
    const user = await registerUser();
    const run = await runAndWait(user, {
      language: 'c',
      files: [
        {
          name: 'main.c',
          content:
            '#include <stdio.h>\nint main(int argc, char **argv) { char s[64]; if (!fgets(s, 64, stdin)) return 1; printf("%s %s", argv[1], s); return 0; }\n',
        },
      ],
      stdin: 'world\n',
      args: ['hello'],
    });
    expect(run).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: 'hello world\n' });
  });
});
