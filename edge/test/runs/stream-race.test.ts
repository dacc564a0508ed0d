/**
 * The end of a stream has no gap (issue 12, item 13). A run ends by writing its result to D1 and then
 * sending the `exit` frame; a watcher that connects while the D1 write is in flight used to be given
 * the transcript and closed without the `exit` frame (the session called itself final before the
 * write). Reproduced deterministically: the session's D1 binding is swapped for one that holds the
 * result write, the run is ended by its watchdog, and a watcher connects inside that window.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RunSession } from '../../src/durable-objects/run-session.ts';
import { holdStatements } from './hold-d1.ts';
import { type Frame, freshStreamUrl, registerUser, runAsync, streamed, watch } from './support.ts';

const SLEEPER = 'import time\nprint("working", flush=True)\ntime.sleep(30)';

describe('runs: a watcher connecting while the result is written', { timeout: 60_000 }, () => {
  it('is live until the end and gets the exit frame, in sequence; the end is stored with its seq', async () => {
    const user = await registerUser();
    const accepted = await runAsync(user, {
      language: 'python',
      code: SLEEPER,
      limits: { timeoutMs: 15_000 },
    });
    const first = await watch(accepted.streamUrl);
    await first.untilStdout('working\n');
    const lateUrl = await freshStreamUrl(user, accepted.id);

    const stub = env.RUN_SESSION.get(env.RUN_SESSION.idFromName(accepted.id));
    // Everything inside the window happens in ONE call into the object: workerd ties I/O objects (the
    // D1 binding, sockets) to the context that made them, so the hold is installed, reached, watched
    // and released from the same context. The session's env then holds the final-result write
    // (markRunStarted is done: stdout came).
    const window = await runInDurableObject(stub, async (session: RunSession) => {
      const carrier = session as unknown as { env: Env };
      const hold = holdStatements(carrier.env.DB, (sql) => /^update "runs" set "status"/i.test(sql));
      carrier.env = Object.create(carrier.env, { DB: { value: hold.db } }) as Env;
      const ending = session.alarm();
      const reached = await Promise.race([
        hold.reached,
        ending.then(() => Promise.reject(new Error('the session ended without reaching the held write'))),
      ]);

      // Inside the window: the result is not in D1 yet, so the stream must still be live.
      const res = await session.fetch(
        new Request(lateUrl.replace(/^ws/, 'http'), { headers: { Upgrade: 'websocket' } }),
      );
      const socket = res.webSocket;
      if (res.status !== 101 || !socket) throw new Error(`late watcher refused: ${res.status}`);
      socket.accept();
      const frames: Frame[] = [];
      const closed = new Promise<number>((resolve) => {
        socket.addEventListener('close', (event) => resolve(event.code));
      });
      // A ping answered means every frame the session sent before it (the whole replay) has arrived;
      // a stream that already ended closes instead of answering.
      const settled = new Promise<'pong' | 'closed'>((resolve) => {
        socket.addEventListener('message', (event) => {
          const frame = JSON.parse(String(event.data)) as Frame | { type: 'pong' };
          if (frame.type === 'pong') resolve('pong');
          else frames.push(frame as Frame);
        });
        void closed.then(() => resolve('closed'));
      });
      socket.send(JSON.stringify({ type: 'ping' }));
      const liveInWindow = await settled;
      const framesInWindow = [...frames];

      hold.release();
      await ending;
      const code = await closed;
      return { reached, liveInWindow, framesInWindow, frames, code };
    });
    expect(window.reached).toMatch(/^update "runs"/i);
    expect(window.liveInWindow, JSON.stringify(window.framesInWindow)).toBe('pong');
    expect(window.framesInWindow.some((f) => f.type === 'exit')).toBe(false);
    expect(streamed(window.framesInWindow, 'stdout')).toBe('working\n');

    const { code } = await first.closed;
    expect(code).toBe(1000);
    expect(window.code).toBe(1000);
    const exit = window.frames.at(-1) as Frame;
    expect(exit.type, JSON.stringify(window.frames)).toBe('exit');
    expect(exit.result?.status).toBe('host_lost');
    expect(exit.result?.stdout).toBe('working\n');
    expect(window.frames).toEqual(first.frames);
    // The exit frame follows the last output frame, with no gap and no reuse.
    expect(exit.seq).toBe((window.frames.at(-2)?.seq ?? -1) + 1);

    // What an evicted object would rebuild from: the end is stored with the exit frame's own seq.
    // (A fresh stub: the one above served a call that ended inside the object's own context.)
    const again_ = env.RUN_SESSION.get(env.RUN_SESSION.idFromName(accepted.id));
    const stored = await runInDurableObject(again_, (_s: RunSession, state) => ({
      end: state.storage.kv.get<{ seq: number }>('stream'),
      final: state.storage.kv.get<{ final: boolean }>('meta')?.final,
    }));
    expect(stored).toEqual({ end: { seq: exit.seq }, final: true });
    const again = await watch(await freshStreamUrl(user, accepted.id));
    await again.closed;
    expect(again.frames).toEqual(first.frames);
    expect(streamed(again.frames, 'stdout')).toBe('working\n');
  });
});
