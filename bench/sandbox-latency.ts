/**
 * Sandbox host latency and throughput, hello-world Python, against the real engine (prints, never asserts).
 *   node bench/sandbox-latency.ts [--runs 40] [--seconds 10]
 *
 * Measured in the same run:
 *   - cold container: create -> start -> wait -> remove with the full profile (no pool)
 *   - raw warm container: a pre-started sandbox, handover -> result, no WebSocket
 *   - through the WebSocket: `run` sent -> first stdout frame, and -> `exit` frame (warm pool)
 *   - sustained runs/s at concurrency 2, 4, 8 (fresh token + socket per run), failures, leaked containers
 */
import { parseArgs } from 'node:util';
import { cgroupV1Reader } from '../sandbox-host/src/docker/cgroup.ts';
import { sandboxContainerSpec } from '../sandbox-host/src/docker/profile.ts';
import { Sandbox } from '../sandbox-host/src/docker/sandbox.ts';
import { imageName } from '../sandbox-host/src/images/builder.ts';
import { python } from '../sandbox-host/src/images/manifests/python.ts';
import { executeRun } from '../sandbox-host/src/runner/execute.ts';
import {
  connect,
  containersOf,
  docker,
  startTestHost,
  uniqueId,
  waitFor,
} from '../sandbox-host/test/support.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '40' }, seconds: { type: 'string', default: '10' } },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const HELLO = 'print("hello, world")';
const limits = {
  memoryMb: 256,
  pidsLimit: 100,
  nanoCpus: 1e9,
  workTmpfsMb: 64,
  tmpTmpfsMb: 64,
  fileSizeBytes: 64 << 20,
  openFiles: 256,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  return `p50 ${q(0.5).toFixed(1)} ms  p90 ${q(0.9).toFixed(1)} ms  min ${(s[0] ?? 0).toFixed(1)}  max ${(s.at(-1) ?? 0).toFixed(1)}  (n=${s.length})`;
}
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function coldContainer(hostId: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 20); i++) {
    const t0 = process.hrtime.bigint();
    const spec = sandboxContainerSpec({
      image: imageName('python'),
      hostId,
      instanceId: 'bench',
      runId: uniqueId('cold'),
      language: 'python',
      env: {},
      cmd: ['python3', '-c', HELLO],
      limits,
    });
    const c = await docker.createContainer({
      ...spec,
      OpenStdin: false,
      StdinOnce: false,
      AttachStdin: false,
    });
    await c.start();
    await c.wait();
    await c.remove({ force: true });
    out.push(ms(t0));
  }
  return out;
}

async function rawWarm(hostId: string): Promise<number[]> {
  const out: number[] = [];
  const cgroup = cgroupV1Reader('/sys/fs/cgroup', 'docker');
  for (let i = 0; i < Math.min(RUNS, 20); i++) {
    const sandbox = await Sandbox.create(docker, {
      image: imageName('python'),
      hostId,
      instanceId: 'bench',
      slotId: uniqueId('warm'),
      language: 'python',
      env: python.env ?? {},
      limits,
    });
    await sleep(200);
    const t0 = process.hrtime.bigint();
    const ex = executeRun(
      {
        sandbox,
        manifest: python,
        request: { language: 'python', code: HELLO },
        timeoutMs: 5000,
        memoryMb: 256,
        compileTimeoutMs: 5000,
        maxOutputBytes: 1 << 20,
        cgroup,
        now: Date.now,
      },
      { started: () => undefined, output: () => undefined },
      new AbortController().signal,
    );
    const r = await ex.result;
    out.push(ms(t0));
    if (r.status !== 'succeeded') throw new Error(`raw warm run ${r.status}`);
    await ex.cleanup;
  }
  return out;
}

async function main(): Promise<void> {
  const h = await startTestHost({
    POOL_SIZE: '4',
    POOL_LANGUAGES: 'python',
    POOL_REFILL_CONCURRENCY: '2',
    MAX_CONCURRENT_RUNS: '8',
    MAX_QUEUED_RUNS: '64',
  });
  const request = { language: 'python', code: HELLO };
  const oneRun = async () => {
    const runId = uniqueId('run');
    const token = await h.token({ runId, request });
    const tc = process.hrtime.bigint();
    const s = await connect(h.url, token);
    const connectMs = ms(tc);
    const t0 = process.hrtime.bigint();
    let first = Number.NaN;
    s.ws.on('message', (d) => {
      if (Number.isNaN(first) && String(d).includes('"type":"stdout"')) first = ms(t0);
    });
    s.send({ type: 'run', runId, request });
    const exit = await s.next('exit');
    const total = ms(t0);
    await s.closed;
    return { connectMs, first, total, ok: exit.type === 'exit' && exit.result.status === 'succeeded' };
  };

  try {
    await waitFor(() => (h.host.pool.size('python') === 4 ? true : undefined), 'pool fill', 60_000);
    console.log(
      `sandbox host bench: python hello world, ${RUNS} sequential runs, ${new Date().toISOString()}`,
    );

    const cold = await coldContainer(h.hostId);
    console.log(`cold container (create->start->wait->remove):  ${stats(cold)}`);
    const warm = await rawWarm(h.hostId);
    console.log(`raw warm container (handover->result):         ${stats(warm)}`);

    const first: number[] = [];
    const total: number[] = [];
    const conn: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await waitFor(() => (h.host.pool.size('python') >= 1 ? true : undefined), 'a warm container', 30_000);
      const r = await oneRun();
      if (!r.ok) throw new Error('run failed');
      first.push(r.first);
      total.push(r.total);
      conn.push(r.connectMs);
      await sleep(100);
    }
    console.log(`websocket: run sent -> first stdout frame:     ${stats(first)}`);
    console.log(`websocket: run sent -> exit frame (result):     ${stats(total)}`);
    console.log(`websocket: connect (token check + upgrade):     ${stats(conn)}`);

    for (const concurrency of [2, 4, 8]) {
      await waitFor(() => (h.host.pool.size('python') === 4 ? true : undefined), 'pool refill', 60_000);
      let done = 0;
      let failed = 0;
      const until = Date.now() + SECONDS * 1000;
      const t0 = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < until) {
            const r = await oneRun().catch(() => ({ ok: false }));
            if (r.ok) done++;
            else failed++;
          }
        }),
      );
      const secs = ms(t0) / 1000;
      await h.host.service.idle();
      // Leaked = labelled containers that neither a run nor the pool owns once refills have settled.
      const leakedNow = async () =>
        (await containersOf(h.hostId)).filter((c) => !h.host.service.ownedContainerIds().has(c.Id));
      await waitFor(async () => ((await leakedNow()).length === 0 ? true : undefined), 'refills', 5000).catch(
        () => undefined,
      );
      const leaked = await leakedNow();
      console.log(
        `sustained, concurrency ${concurrency}: ${(done / secs).toFixed(1)} runs/s  (${done} ok, ${failed} failed in ${secs.toFixed(1)} s, leaked containers: ${leaked.length})`,
      );
    }
  } finally {
    await h.close();
    const left = await containersOf(h.hostId);
    console.log(`after shutdown: ${left.length} containers left`);
  }
}

await main();
