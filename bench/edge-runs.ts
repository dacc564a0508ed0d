/**
 * Bench (issues 5 and 18): hello-world Python through the edge on `wrangler dev`, beside the same run
 * sent to the sandbox host directly, in one process tree and one sitting. Prints, each beside its
 * same-run baseline:
 * - first-output and result latency (p50, p90) and what the edge adds, for the stream and `wait: true`;
 * - authenticated reads (`GET /v1/runs?limit=1`, `GET /v1/me`) against the bare `GET /healthz` of
 *   the same workerd (ratio of the p50s);
 * - a load phase: `rate` runs/s offered (open loop, `wait: true`) for `loadSeconds` through the edge:
 *   errors, p50, p90, and the edge's CPU per run (CPU time of the wrangler-dev workerd processes,
 *   from /proc/<pid>/stat, over the phase / runs).
 * Printed, never asserted.
 *
 *   node bench/edge-runs.ts [iterations=40] [warmup=5] [loadSeconds=60] [rate=6]
 *
 * (`loadSeconds` 0 skips the load phase.)
 *
 * Needs the Docker engine and the python runtime image (`npm start` or `npm test` set both up).
 * Everything binds 127.0.0.1 on free ports; every process it starts is stopped at the end.
 */
import { Client, openStream } from '../e2e/support/client.ts';
import { directRun } from './support/direct-run.ts';
import { pidsByCommand, processCpuMs } from './support/proc-cpu.ts';
import { quantile } from './support/quantile.ts';
import { startBenchStack } from './support/stack.ts';

const iterations = Number(process.argv[2] ?? 40);
const warmup = Number(process.argv[3] ?? 5);
const loadSeconds = Number(process.argv[4] ?? 60);
const loadRate = Number(process.argv[5] ?? 6);
const REQUEST = { language: 'python', code: 'print("hello, world")' };

interface Sample {
  firstOutputMs: number;
  resultMs: number;
}

const fmt = (n: number) => (Number.isNaN(n) ? '   -  ' : `${n.toFixed(1).padStart(6)}`);

/** The same run straight to the host: the same-run baseline. */
async function direct(hostUrl: string, hostId: string, key: CryptoKey): Promise<Sample> {
  const run = await directRun(hostUrl, hostId, key, REQUEST);
  if (run.status !== 'succeeded') throw new Error(`host: ${run.status}`);
  return { firstOutputMs: run.firstOutputMs, resultMs: run.ms };
}

async function viaEdgeStream(client: Client): Promise<Sample> {
  const t0 = performance.now();
  const created = await client.call('POST', '/v1/runs', REQUEST);
  if (created.status !== 202) throw new Error(`edge: ${created.status} ${JSON.stringify(created.json)}`);
  const stream = await openStream(created.json.streamUrl);
  const first = await stream.until((f) => f.type === 'stdout');
  const firstOutputMs = performance.now() - t0;
  await stream.ended;
  const resultMs = performance.now() - t0;
  stream.close();
  void first;
  return { firstOutputMs, resultMs };
}

async function viaEdgeWait(client: Client): Promise<Sample> {
  const t0 = performance.now();
  const res = await client.call('POST', '/v1/runs', { ...REQUEST, wait: true });
  if (res.status !== 200 || res.json.status !== 'succeeded') throw new Error(`edge: ${res.status}`);
  return { firstOutputMs: Number.NaN, resultMs: performance.now() - t0 };
}

async function timed(fn: () => Promise<{ status: number }>): Promise<number> {
  const t0 = performance.now();
  const res = await fn();
  if (res.status !== 200) throw new Error(`edge read: ${res.status}`);
  return performance.now() - t0;
}

interface LoadReport {
  offered: number;
  succeeded: number;
  errors: Map<string, number>;
  latencies: number[];
  cpuMsPerRun: number;
  wallSeconds: number;
}

/** Open loop: a run starts every 1/rate s whatever the earlier ones are doing, as clients would. */
async function load(client: Client, pids: number[], seconds: number, rate: number): Promise<LoadReport> {
  const total = Math.round(seconds * rate);
  const errors = new Map<string, number>();
  const latencies: number[] = [];
  const cpuBefore = processCpuMs(pids);
  const start = performance.now();
  const runs: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const delay = due - performance.now();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    runs.push(
      (async () => {
        const t0 = performance.now();
        try {
          const res = await client.call('POST', '/v1/runs', { ...REQUEST, wait: true });
          if (res.status === 200 && res.json.status === 'succeeded') latencies.push(performance.now() - t0);
          else {
            const key = `${res.status} ${res.json?.error?.code ?? res.json?.status ?? ''}`;
            errors.set(key, (errors.get(key) ?? 0) + 1);
          }
        } catch (err) {
          const key = String((err as Error).name);
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
      })(),
    );
  }
  await Promise.all(runs);
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = processCpuMs(pids) - cpuBefore;
  return {
    offered: total,
    succeeded: latencies.length,
    errors,
    latencies,
    cpuMsPerRun: cpu / Math.max(1, total),
    wallSeconds,
  };
}

/**
 * The pause before each measured request: the host refills its warm pool after every run (a container
 * created and started, ~150 ms of the engine's CPU on these 2 cores), and a request that overlaps it
 * measures the refill, not the path. Long enough for the refill to finish, as between a user's runs.
 */
const SETTLE_MS = 1000;

async function settled<T>(fn: () => Promise<T>): Promise<T> {
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  return fn();
}

async function main() {
  const stack = await startBenchStack({
    hostEnv: { POOL_SIZE: '3', POOL_LANGUAGES: 'python' },
    edgeVars: { RATE_LIMIT_RUNS: '100000/1m', RATE_LIMIT_API: '100000/1m' },
  });
  const { host, edge, signingKey: key } = stack;
  try {
    const client = new Client(edge.url);
    await client.signUp();

    const samples = {
      direct: [] as Sample[],
      stream: [] as Sample[],
      wait: [] as Sample[],
      runsList: [] as number[],
      me: [] as number[],
      healthz: [] as number[],
    };
    for (let i = 0; i < warmup + iterations; i++) {
      // Interleaved, so drift (pool refills, page cache) hits every path alike.
      // A pause before each run lets the warm pool refill, as between real requests: every path
      // then gets a pre-started container, never a cold one.
      const d = await settled(() => direct(host.url, host.id, key));
      const s = await settled(() => viaEdgeStream(client));
      const w = await settled(() => viaEdgeWait(client));
      // Reads back to back, the bare route between the two authenticated ones, once the host's pool
      // refill after the runs is over (it would otherwise take the cores from whichever read is first).
      const list = await settled(() => timed(() => client.call('GET', '/v1/runs?limit=1')));
      const bare = await timed(() => client.call('GET', '/healthz'));
      const me = await timed(() => client.call('GET', '/v1/me'));
      if (i >= warmup) {
        samples.direct.push(d);
        samples.stream.push(s);
        samples.wait.push(w);
        samples.runsList.push(list);
        samples.healthz.push(bare);
        samples.me.push(me);
      }
    }

    const row = (name: string, list: Sample[]) => {
      const first = list.map((s) => s.firstOutputMs).filter((n) => !Number.isNaN(n));
      const result = list.map((s) => s.resultMs);
      return `${name.padEnd(36)} ${fmt(quantile(first, 0.5))} ${fmt(quantile(first, 0.9))}   ${fmt(quantile(result, 0.5))} ${fmt(quantile(result, 0.9))}`;
    };
    const q = (list: Sample[], k: keyof Sample, at: number) =>
      quantile(
        list.map((s) => s[k]).filter((n) => !Number.isNaN(n)),
        at,
      );
    /** What the edge adds over the direct run, at one quantile (difference of the quantiles). */
    const adds = (list: Sample[], k: keyof Sample, at: number) => q(list, k, at) - q(samples.direct, k, at);
    const edgeRow = (name: string, list: Sample[], k: keyof Sample) =>
      `${name.padEnd(36)} ${fmt(adds(list, k, 0.5))} ${fmt(adds(list, k, 0.9))}      (target <= 15 / <= 25)`;
    console.log(`\nhello-world Python, ${iterations} runs per path (+${warmup} warm-up), ms`);
    console.log(`${''.padEnd(36)}  first output      result`);
    console.log(`${''.padEnd(36)}    p50    p90      p50    p90`);
    console.log(row('sandbox host directly (WebSocket)', samples.direct));
    console.log(row('edge: POST + stream WebSocket', samples.stream));
    console.log(row('edge: POST wait:true', samples.wait));

    console.log(`\nwhat the edge adds over the direct run, ms       p50    p90`);
    console.log(edgeRow('stream: first output', samples.stream, 'firstOutputMs'));
    console.log(edgeRow('stream: result', samples.stream, 'resultMs'));
    console.log(edgeRow('wait:true: result', samples.wait, 'resultMs'));

    const readRow = (name: string, list: number[]) => {
      const ratio = quantile(list, 0.5) / quantile(samples.healthz, 0.5);
      return `${name.padEnd(36)} ${fmt(quantile(list, 0.5))} ${fmt(quantile(list, 0.9))}   ${ratio.toFixed(2).padStart(6)}x`;
    };
    console.log(`\nreads on the same workerd, ms              p50    p90   p50 / healthz (target <= 1.5x)`);
    console.log(readRow('GET /healthz (bare)', samples.healthz));
    console.log(readRow('GET /v1/runs?limit=1', samples.runsList));
    console.log(readRow('GET /v1/me', samples.me));

    if (loadSeconds > 0) {
      // The workerd processes of this `wrangler dev` (its process group: it was started detached).
      const pids = pidsByCommand('workerd', edge.child.pid as number);
      await new Promise((r) => setTimeout(r, 1000));
      const report = await load(client, pids, loadSeconds, loadRate);
      const errors = [...report.errors].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none';
      console.log(
        `\nload: ${loadRate} runs/s offered for ${loadSeconds} s through the edge (wait:true), ${report.offered} runs, done in ${report.wallSeconds.toFixed(1)} s`,
      );
      console.log(
        `  succeeded ${report.succeeded}, errors ${report.offered - report.succeeded} (${errors}); result p50 ${fmt(quantile(report.latencies, 0.5))} ms, p90 ${fmt(quantile(report.latencies, 0.9))} ms   (target: 0 errors, <= 100 / <= 200)`,
      );
      console.log(
        `  edge CPU per run (workerd pids ${pids.join(',')}, user+system): ${report.cpuMsPerRun.toFixed(1)} ms per offered run, ${((report.cpuMsPerRun * report.offered) / Math.max(1, report.succeeded)).toFixed(1)} ms per succeeded run`,
      );
    }
  } finally {
    await stack.stop();
  }
}

await main();
