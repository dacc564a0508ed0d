/**
 * Noisy neighbours on one sandbox host (host level, real engine; prints, never asserts).
 *   node bench/noisy-neighbour.ts [--runs 30]
 *
 * In the same run:
 *   1. quiet: a victim organization's hello-world Python, run sent -> exit frame, sequential
 *   2. noisy: the same while five other organizations each run, in a loop, a CPU burner, a fork bomb, a
 *      memory bomb, an output flood and a sleep (one tenant each)
 *   3. 20 concurrent `time.sleep(5)` runs from 20 organizations: how many were admitted at once (not
 *      queued), the host's peak admitted runs, and when the last one ended
 */
import { parseArgs } from 'node:util';
import type { HostMessage } from '@airlock/protocol';
import type { TestHost } from '../sandbox-host/test/support.ts';
import { connect, startTestHost, uniqueId, waitFor } from '../sandbox-host/test/support.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const RUNS = Number(values.runs);
const POOL = 6;

const HELLO = { language: 'python', code: 'print("hello, world")' };
const NOISE: Record<string, Record<string, unknown>> = {
  cpu: { language: 'python', code: 'while True:\n    pass', limits: { timeoutMs: 5000 } },
  fork: {
    language: 'python',
    code: 'import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        time.sleep(0.01)',
    limits: { timeoutMs: 5000 },
  },
  memory: {
    language: 'python',
    // bytes, not bytearray: a zeroed bytearray's pages are never touched, so it would not use memory.
    code: 'blocks = []\nwhile True:\n    blocks.append(b"x" * (8 << 20))',
    limits: { timeoutMs: 5000 },
  },
  flood: { language: 'python', code: 'import sys\nwhile True:\n    sys.stdout.write("x" * 65536)' },
  sleep: { language: 'python', code: 'import time\ntime.sleep(5)', limits: { timeoutMs: 6000 } },
};

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  return `p50 ${q(0.5).toFixed(0)} ms  p90 ${q(0.9).toFixed(0)} ms  max ${(s.at(-1) ?? 0).toFixed(0)} ms  (n=${s.length})`;
}

interface Outcome {
  ms: number;
  queued: boolean | undefined;
  status: string;
}

async function run(h: TestHost, org: string, request: Record<string, unknown>): Promise<Outcome> {
  const runId = uniqueId('run');
  const token = await h.token({ runId, request, org });
  const s = await connect(h.url, token);
  const t0 = process.hrtime.bigint();
  s.send({ type: 'run', runId, request });
  await s.closed;
  const took = ms(t0);
  const accepted = s.frames.find(
    (f): f is Extract<HostMessage, { type: 'accepted' }> => f.type === 'accepted',
  );
  const exit = s.frames.find((f) => f.type === 'exit');
  const error = s.frames.find((f) => f.type === 'error');
  const status = exit?.type === 'exit' ? exit.result.status : error?.type === 'error' ? error.code : 'closed';
  return { ms: took, queued: accepted?.queued, status };
}

async function victim(h: TestHost): Promise<{ latencies: number[]; errors: string[] }> {
  const latencies: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await run(h, 'org-victim', HELLO);
    if (r.status === 'succeeded') latencies.push(r.ms);
    else errors.push(r.status);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { latencies, errors };
}

async function main(): Promise<void> {
  const h = await startTestHost({ POOL_SIZE: String(POOL), POOL_LANGUAGES: 'python' });
  const admission = async () =>
    ((await (await fetch(`${h.http}/readyz`)).json()) as { admission: Record<string, unknown> }).admission;
  try {
    await waitFor(() => (h.host.pool.size('python') === POOL ? true : undefined), 'pool fill', 120_000);
    console.log(
      `noisy-neighbour bench, ${new Date().toISOString()}, budget ${JSON.stringify((await admission()).budget)}`,
    );

    const quiet = await victim(h);
    console.log(`victim quiet:  ${stats(quiet.latencies)}  errors ${quiet.errors.length}`);

    let stop = false;
    const noiseCounts: Record<string, Record<string, number>> = {};
    const noisy = Object.entries(NOISE).map(async ([name, request]) => {
      const counts: Record<string, number> = {};
      noiseCounts[name] = counts;
      while (!stop) {
        const r = await run(h, `org-${name}`, request).catch(() => ({ status: 'client_error' }) as Outcome);
        counts[r.status] = (counts[r.status] ?? 0) + 1;
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    const loaded = await victim(h);
    const during = await admission();
    stop = true;
    await Promise.all(noisy);
    console.log(
      `victim noisy:  ${stats(loaded.latencies)}  errors ${loaded.errors.length} ${loaded.errors.join(',')}`,
    );
    console.log(`  neighbours' outcomes: ${JSON.stringify(noiseCounts)}`);
    console.log(`  admission at the end of the noisy phase: ${JSON.stringify(during)}`);

    await h.host.service.idle();
    let peak = 0;
    const poll = setInterval(() => {
      peak = Math.max(peak, h.host.service.running);
    }, 20);
    const t0 = process.hrtime.bigint();
    const sleepers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        run(h, `org-sleep-${i}`, {
          language: 'python',
          code: 'import time\ntime.sleep(5)',
          limits: { timeoutMs: 8000 },
        }),
      ),
    );
    const allMs = ms(t0);
    clearInterval(poll);
    const notQueued = sleepers.filter((s) => s.queued === false).length;
    const ok = sleepers.filter((s) => s.status === 'succeeded').length;
    console.log(
      `20 x sleep(5) from 20 orgs: admitted at once ${notQueued}/20, peak admitted ${peak}, succeeded ${ok}/20, all done in ${(allMs / 1000).toFixed(2)} s (each: ${stats(sleepers.map((s) => s.ms))})`,
    );
  } finally {
    await h.close();
  }
}

await main();
