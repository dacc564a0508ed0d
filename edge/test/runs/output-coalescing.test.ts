/**
 * A run's output flood costs the edge a few frames, not one per host frame (issue 10), and every
 * watcher still gets the output byte for byte and in order: live, late (after the end, from what an
 * evicted object rebuilds: its stored frames), and resuming with `?from=SEQ`. Real host, real
 * containers; the unit tests of the merging itself (first output never held) are
 * output-coalescer.test.ts.
 */

import { env, runInDurableObject } from 'cloudflare:test';
import { LIMITS } from '@airlock/protocol';
import { describe, expect, it } from 'vitest';
import type { RunSession } from '../../src/durable-objects/run-session.ts';
import { type Frame, freshStreamUrl, registerUser, runAsync, streamed, watch } from './support.ts';

// 900,000 bytes of numbered lines (under the 1 MiB limit), written in 64 KiB pieces as fast as the
// program can: at least 55 host frames of 16 KiB, arriving back to back. (Written line by line, the
// flood's pace, and with it how many frames fall into one window, depends on the machine's load.)
const LINES = 112_500;
const FLOOD = `import sys\ndata = "".join(f"{i:07d}\\n" for i in range(${LINES}))\nfor i in range(0, len(data), 65536):\n    sys.stdout.write(data[i:i + 65536])\nsys.stdout.flush()\nprint("tail", file=sys.stderr)\n`;
const expected = Array.from({ length: LINES }, (_, i) => `${String(i).padStart(7, '0')}\n`).join('');

describe('runs: output coalescing at the edge', { timeout: 60_000 }, () => {
  it('stores far fewer frames than the host sent; live, late and ?from= watchers get identical output', async () => {
    const user = await registerUser();
    const accepted = await runAsync(user, { language: 'python', code: FLOOD });
    const live = await watch(accepted.streamUrl);
    await live.closed;

    const exit = live.frames.at(-1) as Frame;
    expect(exit.type, JSON.stringify(live.frames.map((f) => f.type))).toBe('exit');
    expect(exit.result?.status).toBe('succeeded');
    expect(streamed(live.frames, 'stdout')).toBe(expected);
    expect(streamed(live.frames, 'stderr')).toBe('tail\n');
    expect(exit.result?.stdout).toBe(expected);
    const seqs = live.frames.map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));

    // What the session stored (what an evicted object rebuilds its replay from): the same frames.
    const stub = env.RUN_SESSION.get(env.RUN_SESSION.idFromName(accepted.id));
    const stored = await runInDurableObject(stub, (_s: RunSession, state) =>
      [...state.storage.kv.list<Frame>({ prefix: 'f:' })].map(([, frame]) => frame),
    );
    expect(stored).toEqual(live.frames.slice(0, -1));
    const hostFrames = Math.ceil(new TextEncoder().encode(expected).byteLength / LIMITS.outputChunkBytes);
    const storedStdout = stored.filter((f) => f.type === 'stdout').length;
    expect(
      storedStdout,
      `stored ${storedStdout} stdout frames for at least ${hostFrames} host frames`,
    ).toBeLessThan(hostFrames / 2);

    const late = await watch(await freshStreamUrl(user, accepted.id));
    await late.closed;
    expect(late.frames).toEqual(live.frames);

    const cut = live.frames.filter((f) => f.type === 'stdout')[1] as Frame;
    const resumed = await watch(`${await freshStreamUrl(user, accepted.id)}&from=${cut.seq}`);
    await resumed.closed;
    expect(resumed.frames).toEqual(live.frames.filter((f) => f.seq > cut.seq));
    const before = live.frames.filter((f) => f.seq <= cut.seq);
    expect(streamed([...before, ...resumed.frames], 'stdout')).toBe(expected);
  });

  it('the first output goes out on its own; stdout and stderr keep their order', async () => {
    const user = await registerUser();
    const accepted = await runAsync(user, {
      language: 'python',
      code: [
        'import sys, time',
        'print("first", flush=True)',
        'time.sleep(0.5)',
        'print("err", file=sys.stderr, flush=True)',
        // stdout and stderr are separate pipes: writes microseconds apart may reach the host in either
        // order, so the program leaves a gap (the merging's own order is output-coalescer.test.ts's).
        'time.sleep(0.2)',
        'print("out", flush=True)',
        'time.sleep(0.5)',
        'print("last", flush=True)',
      ].join('\n'),
    });
    const live = await watch(accepted.streamUrl);
    await live.closed;
    const output = live.frames.filter((f) => f.type === 'stdout' || f.type === 'stderr');
    // The first output goes out alone (the window after it may merge or split what follows; the host
    // may send `print`'s text and newline apart).
    expect(output[0]?.data?.startsWith('first')).toBe(true);
    const runs: [string, string][] = [];
    for (const f of output) {
      const last = runs.at(-1);
      if (last && last[0] === f.type) last[1] += f.data ?? '';
      else runs.push([f.type, f.data ?? '']);
    }
    expect(runs).toEqual([
      ['stdout', 'first\n'],
      ['stderr', 'err\n'],
      ['stdout', 'out\nlast\n'],
    ]);
  });
});
