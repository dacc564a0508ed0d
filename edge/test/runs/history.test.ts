/**
 * History and runtimes (issue 5, items 4 and 5): newest first, cursor pagination without skips or
 * repeats, filters; GET /v1/runtimes lists what the host offers, with limits.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { errorOf } from '../helpers.ts';
import {
  bearer,
  getRun,
  type RunView,
  registerUser,
  runAndWait,
  runAsync,
  watch,
  worker,
} from './support.ts';

describe('runs: history and runtimes', { timeout: 60_000 }, () => {
  it('lists the caller’s runs newest first, pages with a cursor, filters by status and language', async () => {
    const user = await registerUser();
    const made: string[] = [];
    for (const code of ['print(1)', 'print(2)', 'import sys\nsys.exit(1)']) {
      made.push((await runAndWait(user, { language: 'python', code })).id);
    }
    made.push((await runAndWait(user, { language: 'bash', code: 'echo hi' })).id);

    const pages: RunView[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const res = await worker(`/v1/runs${query}`, { headers: bearer(user) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { runs: RunView[]; nextCursor: string | null };
      pages.push(...body.runs);
      cursor = body.nextCursor;
    } while (cursor);
    expect(pages.map((r) => r.id)).toEqual([...made].reverse());
    // The list carries accounting, not the output (GET /v1/runs/{id} has it).
    expect(pages[0]?.stdout).toBeNull();
    expect(pages[0]?.wallMs).not.toBeNull();

    const failed = (await (await worker('/v1/runs?status=failed', { headers: bearer(user) })).json()) as {
      runs: RunView[];
    };
    expect(failed.runs.map((r) => r.id)).toEqual([made[2]]);
    const bash = (await (await worker('/v1/runs?language=bash', { headers: bearer(user) })).json()) as {
      runs: RunView[];
    };
    expect(bash.runs.map((r) => r.id)).toEqual([made[3]]);

    for (const bad of ['?limit=0', '?limit=1000', '?status=done', '?cursor=zzz', '?sort=asc']) {
      const res = await worker(`/v1/runs${bad}`, { headers: bearer(user) });
      expect(res.status, bad).toBe(400);
      expect((await errorOf(res)).code).toBe('validation_failed');
    }
    expect((await worker('/v1/runs/not-a-run-id!', { headers: bearer(user) })).status).toBe(404);
  });

  it('a run still going shows as running in history, with its host and start time', async () => {
    const user = await registerUser();
    const run = await runAsync(user, { language: 'python', code: 'import time\ntime.sleep(3)' });
    const watcher = await watch(run.streamUrl);
    await watcher.until((f) => f.type === 'started');
    // The mark lands FIXED.runStartedMarkDelayMs after the started frame (a shorter run never needs it).
    await vi.waitFor(
      async () => {
        const res = await getRun(user, run.id);
        expect(await res.json()).toMatchObject({ status: 'running', startedAt: expect.any(String) });
      },
      { timeout: 2_500, interval: 50 },
    );
    const row = await env.DB.prepare('SELECT host_id FROM runs WHERE id = ?').bind(run.id).first();
    expect(row?.host_id).toBeTruthy();
    await watcher.closed;
    expect(watcher.frames.at(-1)?.result?.status).toBe('succeeded');
  });

  it('GET /v1/runtimes lists the host’s languages with versions and limits', async () => {
    const user = await registerUser();
    const res = await worker('/v1/runtimes', { headers: bearer(user) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      runtimes: {
        language: string;
        version: string | null;
        limits: { maxTimeoutMs: number; maxOutputBytes: number };
      }[];
      limits: { maxCodeBytes: number; maxStdinBytes: number };
    };
    const python = body.runtimes.find((r) => r.language === 'python');
    expect(python?.version).toMatch(/\d+\.\d+/);
    expect(python?.limits).toMatchObject({ maxTimeoutMs: 15_000, maxOutputBytes: 1024 * 1024 });
    expect(body.limits).toMatchObject({ maxCodeBytes: 256 * 1024, maxStdinBytes: 1024 * 1024 });
    expect((await worker('/v1/runtimes')).status).toBe(401);
  });
});
