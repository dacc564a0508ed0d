/**
 * When a run session writes its state (issue 10). A run's state (meta, frames, tickets, the watchdog
 * alarm) is held in memory for its first `runPersistDelayMs`: a run still going then is written, with
 * its watchdog armed at the run's deadline; a run that ends sooner is written once, at its end, with
 * the cleanup alarm. Real Worker, real host, real Durable Object storage.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import type { RunSession } from '../../src/durable-objects/run-session.ts';
import { FIXED } from '../../src/limits.ts';
import {
  bearer,
  type Frame,
  registerUser,
  requireHost,
  runAndWait,
  runAsync,
  streamed,
  watch,
  worker,
} from './support.ts';

interface Stored {
  meta?: { final: boolean; deadline: number };
  alarm: number | null;
  frames: Frame[];
  end?: { seq: number };
}

function stored(runId: string): Promise<Stored> {
  const stub = env.RUN_SESSION.get(env.RUN_SESSION.idFromName(runId));
  return runInDurableObject(stub, async (_s: RunSession, state) => ({
    meta: state.storage.kv.get<Stored['meta']>('meta'),
    alarm: await state.storage.getAlarm(),
    frames: [...state.storage.kv.list<Frame>({ prefix: 'f:' })].map(([, frame]) => frame),
    end: state.storage.kv.get<{ seq: number }>('stream'),
  }));
}

describe('runs: when a session writes its state', { timeout: 60_000 }, () => {
  it('a run still going after the delay is stored, its watchdog armed at the run deadline', async () => {
    requireHost();
    const user = await registerUser();
    const started = Date.now();
    const accepted = await runAsync(user, {
      language: 'python',
      code: 'import time\nprint("working", flush=True)\ntime.sleep(20)',
      limits: { timeoutMs: 15_000 },
    });
    const watcher = await watch(accepted.streamUrl);
    await watcher.untilStdout('working\n');

    const state = await vi.waitFor(
      async () => {
        const now = await stored(accepted.id);
        if (!now.meta) throw new Error('not stored yet');
        return now;
      },
      { timeout: 10 * FIXED.runPersistDelayMs, interval: 100 },
    );
    expect(state.meta?.final).toBe(false);
    expect(state.alarm).toBe(state.meta?.deadline);
    expect(state.meta?.deadline).toBeGreaterThanOrEqual(started + FIXED.runWatchdogMs);
    // The frames published before the write are stored with it (an evicted object replays them).
    expect(streamed(state.frames, 'stdout')).toBe('working\n');
    expect(state.end).toBeUndefined();

    const cancel = await worker(`/v1/runs/${accepted.id}/cancel`, { method: 'POST', headers: bearer(user) });
    expect(cancel.status).toBe(202);
    await watcher.closed;
    const after = await stored(accepted.id);
    expect(after.meta?.final).toBe(true);
    expect(after.alarm).toBe(after.meta?.deadline);
  });

  it('a run that ended sooner is stored once at its end: its frames, the end and the cleanup alarm', async () => {
    requireHost();
    const user = await registerUser();
    const before = Date.now();
    const run = await runAndWait(user, { language: 'python', code: 'print("short")' });
    expect(run.status).toBe('succeeded');

    const state = await stored(run.id);
    expect(state.meta?.final).toBe(true);
    expect(state.meta?.deadline).toBeGreaterThanOrEqual(before + FIXED.runTranscriptRetainMs);
    expect(state.alarm).toBe(state.meta?.deadline);
    expect(streamed(state.frames, 'stdout')).toBe('short\n');
    expect(state.end?.seq).toBe((state.frames.at(-1)?.seq ?? -1) + 1);
  });
});
