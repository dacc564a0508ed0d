/**
 * Runs end to end (issue 5): the Worker in workerd, a real sandbox host on a real Docker engine.
 * register → log in → run with wait; async run → stream → history with accounting; reconnect with
 * `from`; several watchers; a watcher after the end; cancel.
 */
import { describe, expect, it } from 'vitest';
import { authFetch, jsonInit, TEST_PASSWORD, uniqueEmail } from '../helpers.ts';
import {
  bearer,
  type Frame,
  freshStreamUrl,
  getRun,
  type RunView,
  registerUser,
  runAsync,
  streamed,
  watch,
  worker,
} from './support.ts';

/** Prints `n` numbered lines, `gap` seconds apart. */
const ticker = (n: number, gap: number) =>
  `import sys, time\nfor i in range(${n}):\n    print(f"line {i}", flush=True)\n    time.sleep(${gap})\n`;

function expectOrdered(frames: Frame[]) {
  const seqs = frames.map((f) => f.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(seqs.length);
}

describe('runs: the main path', { timeout: 60_000 }, () => {
  it('register → log in → run Python with wait → the result', async () => {
    const email = uniqueEmail('runs');
    await registerUser(email);
    const login = await authFetch('/v1/auth/login', jsonInit('POST', { email, password: TEST_PASSWORD }));
    expect(login.status).toBe(200);
    const session = (await login.json()) as { accessToken: string };

    const res = await worker(
      '/v1/runs',
      jsonInit('POST', { language: 'python', code: 'print(1 + 1)', wait: true }, bearer(session.accessToken)),
    );
    expect(res.status).toBe(200);
    const run = (await res.json()) as RunView;
    expect(run).toMatchObject({
      language: 'python',
      status: 'succeeded',
      exitCode: 0,
      stdout: '2\n',
      stderr: '',
    });
    expect(run.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.finishedAt).not.toBeNull();
  });

  it('async run → stream over WebSocket → frames in order → history shows it with accounting', async () => {
    const user = await registerUser();
    const accepted = await runAsync(user, {
      language: 'python',
      code: `${ticker(3, 0.05)}import sys\nprint("oops", file=sys.stderr)\n`,
      stdin: '',
    });
    expect(accepted.status).toBe('queued');
    expect(accepted.streamUrl).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:8787/v1/runs/${accepted.id}/stream\\?ticket=rt_`),
    );

    const watcher = await watch(accepted.streamUrl);
    await watcher.closed;
    const frames = watcher.frames;
    expectOrdered(frames);
    expect(frames[0]?.type).toBe('started');
    expect(frames.at(-1)?.type).toBe('exit');
    expect(frames.every((f) => f.runId === accepted.id)).toBe(true);
    expect(streamed(frames, 'stdout')).toBe('line 0\nline 1\nline 2\n');
    expect(streamed(frames, 'stderr')).toBe('oops\n');

    // What D1 holds is exactly what the stream ended with.
    const exit = frames.at(-1)?.result;
    const run = (await (await getRun(user, accepted.id)).json()) as RunView;
    expect(run).toMatchObject({
      id: accepted.id,
      status: 'succeeded',
      exitCode: exit?.exitCode,
      stdout: exit?.stdout,
      stderr: exit?.stderr,
      wallMs: exit?.wallMs,
      startedAt: exit?.startedAt,
      finishedAt: exit?.finishedAt,
    });

    const list = await worker('/v1/runs?language=python', { headers: bearer(user) });
    const { runs } = (await list.json()) as { runs: RunView[] };
    expect(runs[0]?.id).toBe(accepted.id);
    expect(runs[0]?.status).toBe('succeeded');
    expect(runs[0]?.wallMs).toBeGreaterThan(0);
    expect(runs[0]?.cpuMs).not.toBeNull();
    expect(runs[0]?.peakMemoryBytes).toBeGreaterThan(0);
  });

  it('reconnect with ?from=SEQ: the frames after SEQ, then the live ones, nothing twice', async () => {
    const user = await registerUser();
    const accepted = await runAsync(user, { language: 'python', code: ticker(6, 0.2) });
    const first = await watch(accepted.streamUrl);
    // Cut where the output so far holds line 1, however the host chunked it; stop waiting at the
    // run's end too, so a run that never printed fails with its frames instead of hanging.
    const cut = await first.until(
      (f) =>
        f.type === 'exit' ||
        (f.type === 'stdout' &&
          streamed(
            first.frames.filter((g) => g.seq <= f.seq),
            'stdout',
          ).includes('line 1\n')),
    );
    expect(cut.type, JSON.stringify(first.frames)).toBe('stdout');
    first.close();

    const again = await watch(`${await freshStreamUrl(user, accepted.id)}&from=${cut.seq}`);
    await again.closed;
    expect(again.frames[0]?.seq).toBe(cut.seq + 1);
    expectOrdered(again.frames);
    const before = first.frames.filter((f) => f.seq <= cut.seq);
    expect(streamed([...before, ...again.frames], 'stdout')).toBe(
      [0, 1, 2, 3, 4, 5].map((i) => `line ${i}\n`).join(''),
    );
    expect(again.frames.at(-1)?.type).toBe('exit');
  });

  it('two watchers see the same frames; a watcher after the end gets the transcript and the result', async () => {
    const user = await registerUser();
    const accepted = await runAsync(user, { language: 'python', code: ticker(4, 0.1) });
    const a = await watch(accepted.streamUrl);
    const b = await watch(await freshStreamUrl(user, accepted.id));
    await Promise.all([a.closed, b.closed]);
    expect(b.frames).toEqual(a.frames);
    expect(a.frames.at(-1)?.result?.status).toBe('succeeded');

    const late = await watch(await freshStreamUrl(user, accepted.id));
    expect((await late.closed).code).toBe(1000);
    expect(late.frames).toEqual(a.frames);
  });

  it('cancel reaches the container: the run ends cancelled, with the output before it', async () => {
    const user = await registerUser();
    const accepted = await runAsync(user, {
      language: 'python',
      code: ticker(100, 0.1),
      limits: { timeoutMs: 15_000 },
    });
    const watcher = await watch(accepted.streamUrl);
    await watcher.untilStdout('line 0\n');
    const cancel = await worker(`/v1/runs/${accepted.id}/cancel`, { method: 'POST', headers: bearer(user) });
    expect(cancel.status).toBe(202);
    await watcher.closed;
    const exit = watcher.frames.at(-1);
    expect(exit?.type).toBe('exit');
    expect(exit?.result?.status).toBe('cancelled');
    expect(exit?.result?.stdout).toContain('line 0\n');
    const run = (await (await getRun(user, accepted.id)).json()) as RunView;
    expect(run.status).toBe('cancelled');

    const again = await worker(`/v1/runs/${accepted.id}/cancel`, { method: 'POST', headers: bearer(user) });
    expect(again.status).toBe(409);
  });
});
