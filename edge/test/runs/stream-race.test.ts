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
import { type HeldStatements, holdStatements } from './hold-d1.ts';
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
    await first.until((f) => f.type === 'stdout');
    const lateUrl = await freshStreamUrl(user, accepted.id);

    const stub = env.RUN_SESSION.get(env.RUN_SESSION.idFromName(accepted.id));
    // The session's env from here on holds the final-result write (markRunStarted is done: stdout
    // came). The held binding wraps the object's own D1 binding: I/O objects belong to one context.
    let holding: (h: HeldStatements) => void = () => undefined;
    const installed = new Promise<HeldStatements>((resolve) => {
      holding = resolve;
    });
    const ending = runInDurableObject(stub, (session: RunSession) => {
      const carrier = session as unknown as { env: Env };
      const hold = holdStatements(carrier.env.DB, (sql) => /^update "runs" set "status"/i.test(sql));
      carrier.env = Object.create(carrier.env, { DB: { value: hold.db } }) as Env;
      holding(hold);
      return session.alarm();
    });
    const held = await Promise.race([
      installed,
      ending.then(() => Promise.reject(new Error('the session ended without reaching the held write'))),
    ]);
    expect(await held.reached).toMatch(/^update "runs"/i);

    // Inside the window: the result is not in D1 yet, so the stream must still be live.
    const late = await watch(lateUrl);
    await late.until((f) => f.type === 'stdout');
    expect(
      late.frames.some((f) => f.type === 'exit'),
      JSON.stringify(late.frames),
    ).toBe(false);

    // Released from inside the object: the held write then resumes in the object's own context.
    await runInDurableObject(stub, () => held.release());
    await ending;
    const [{ code }] = await Promise.all([late.closed, first.closed]);
    expect(code).toBe(1000);
    const exit = late.frames.at(-1) as Frame;
    expect(exit.type, JSON.stringify(late.frames)).toBe('exit');
    expect(exit.result?.status).toBe('host_lost');
    expect(exit.result?.stdout).toBe('working\n');
    expect(late.frames).toEqual(first.frames);
    // The exit frame follows the last output frame, with no gap and no reuse.
    expect(exit.seq).toBe((late.frames.at(-2)?.seq ?? -1) + 1);

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
