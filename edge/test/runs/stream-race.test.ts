/**
 * The end of a stream has no gap (issue 12, item 13). A run ends by writing its result to D1 and then
 * sending the `exit` frame; a watcher that connects while the D1 write is in flight used to be given
 * the transcript and closed without the `exit` frame (the session called itself final before the
 * write). Reproduced deterministically: the session's D1 binding is swapped for one that holds the
 * result write, the run is ended by its watchdog, and a watcher connects inside that window.
 */
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RunSession } from '../../src/durable-objects/run-session.ts';
import { holdStatements } from './hold-d1.ts';
import { type Frame, freshStreamUrl, registerUser, runAsync, streamed, watch } from './support.ts';

const SLEEPER = 'import time\nprint("working", flush=True)\ntime.sleep(30)';

describe('runs: a watcher connecting while the result is written', { timeout: 60_000 }, () => {
  it('is live until the end and gets the exit frame, in sequence; after an eviction too', async () => {
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
    const hold = holdStatements(env.DB, (sql) => /^update "runs" set "status"/i.test(sql));
    // The session's env from here on holds the final-result write (markRunStarted is done: stdout came).
    const ending = runInDurableObject(stub, (session: RunSession) => {
      const carrier = session as unknown as { env: Env };
      carrier.env = Object.create(carrier.env, { DB: { value: hold.db } }) as Env;
      return session.alarm();
    });
    expect(await hold.reached).toMatch(/^update "runs"/i);

    // Inside the window: the result is not in D1 yet, so the stream must still be live.
    const late = await watch(lateUrl);
    await late.until((f) => f.type === 'stdout');
    expect(
      late.frames.some((f) => f.type === 'exit'),
      JSON.stringify(late.frames),
    ).toBe(false);

    hold.release();
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

    // After an eviction the exit frame is rebuilt from D1 with the same seq, not a later one.
    await evictDurableObject(env.RUN_SESSION.get(env.RUN_SESSION.idFromName(accepted.id)));
    const afterEviction = await watch(await freshStreamUrl(user, accepted.id));
    await afterEviction.closed;
    expect(afterEviction.frames).toEqual(first.frames);
    expect(streamed(afterEviction.frames, 'stdout')).toBe('working\n');
  });
});
