/**
 * Failure is a result, never a hang (issue 5, item 6): no host, unreachable hosts, a host killed
 * mid-run (a host at capacity is not a failure: busy.test.ts). Extra hosts come from the harness's
 * control server and are real processes; the kill is a real SIGKILL.
 */
import { describe, expect, it } from 'vitest';
import { errorOf } from '../helpers.ts';
import {
  getRun,
  hostsEnv,
  killHost,
  postRun,
  type RunView,
  registerUser,
  runAsync,
  startExtraHost,
  stopHost,
  streamed,
  watch,
} from './support.ts';

const DEAD = { id: 'dead-host', url: 'ws://127.0.0.1:9' };

describe('runs: failures are results', { timeout: 90_000 }, () => {
  it('no host configured → 503 sandbox_unavailable', async () => {
    const user = await registerUser();
    const res = await postRun(
      user,
      { language: 'python', code: 'print(1)', wait: true },
      { SANDBOX_HOSTS: '[]' },
    );
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe('sandbox_unavailable');
  });

  it('no host reachable → 503 sandbox_unavailable, promptly', async () => {
    const user = await registerUser();
    const res = await postRun(user, { language: 'python', code: 'print(1)', wait: true }, hostsEnv(DEAD));
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe('sandbox_unavailable');
  });

  it('an unreachable host is skipped for a live one', async () => {
    const user = await registerUser();
    const live = JSON.parse((await import('cloudflare:test')).env.SANDBOX_HOSTS) as {
      id: string;
      url: string;
    }[];
    const res = await postRun(
      user,
      { language: 'python', code: 'print("failover")', wait: true },
      hostsEnv(DEAD, ...live),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as RunView).stdout).toBe('failover\n');
  });

  it('host killed mid-run → the run ends host_lost, clients are told, D1 agrees', async () => {
    const user = await registerUser();
    const host = await startExtraHost();
    try {
      const accepted = await runAsync(
        user,
        {
          language: 'python',
          code: 'import time\nprint("working", flush=True)\ntime.sleep(30)',
          limits: { timeoutMs: 15_000 },
        },
        hostsEnv(host),
      );
      const watcher = await watch(accepted.streamUrl);
      await watcher.untilStdout('working\n');
      await killHost(host);
      await watcher.closed;
      const exit = watcher.frames.at(-1);
      expect(exit?.type).toBe('exit');
      expect(exit?.result?.status).toBe('host_lost');
      expect(exit?.result?.stdout).toBe('working\n');
      expect(streamed(watcher.frames, 'stdout')).toBe('working\n');
      const run = (await (await getRun(user, accepted.id)).json()) as RunView;
      expect(run).toMatchObject({
        status: 'host_lost',
        stdout: 'working\n',
        finishedAt: exit?.result?.finishedAt,
      });
    } finally {
      await stopHost(host);
    }
  });
});
