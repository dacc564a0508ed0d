/**
 * Noisy neighbours, through the edge (issue 10; prints, never asserts):
 *   node bench/noisy-neighbour.ts [--runs 30] [--pool 6] [--noise cpu,fork,memory,flood,sleep]
 *     (also `lines`: an output flood printed line by line; not in the default mix)
 *     [--host-env '{"VAR":"value"}']   (more sandbox-host settings, e.g. to compare one against its default)
 *     [--limits product|lifted]   (the edge's run and API rate limits: as shipped, the default, or lifted)
 *     [--pause 1000]   (ms the victim waits after each of its runs, through the edge and direct)
 *     [--edge-state disk|memory]   (where the local edge keeps its state: the temp dir on disk, the
 *       default, as `npm start` does, or /dev/shm, so its SQLite commits never wait on the disk)
 *     [--probe]   (the fork probe below, off by default: it is load of its own, at real-time priority)
 *     [--only sleepers]   (phase 3 alone, half a minute a sitting: to compare what changes the sleepers)
 *
 * One sandbox host process and `wrangler dev` wired to it (bench/support/stack.ts). Every tenant is its
 * own user with its own (personal) organization, signed up through the API; runs are `POST /v1/runs`
 * with `wait: true`, as a client would send them. In the same run:
 *   1. quiet: the victim's hello-world Python, sequential, a pause (`--pause`) after each run
 *   2. noisy: the same while five other tenants each run, in a loop, a CPU burner, a fork bomb, a
 *      memory bomb, an output flood and a sleep (one tenant each); ratios to the quiet phase
 *   3. 20 concurrent `time.sleep(5)` runs from 20 tenants: how many the host admitted at once (not
 *      queued), its peak admitted runs, and when the last answer came
 * For the victim's runs, where the time went on the host (its "run started"/"run finished" log lines:
 * admission wait, taking a container, warm or created on the spot, the program's wall time), the rest
 * being the edge and the wire, with the noisy phase's three slowest runs of each path taken apart the
 * same way (a p90 of 30 runs is set by its three slowest); and who used the CPU in each phase (the
 * sandboxes' parent cgroup, the engine, workerd, the host process, the whole machine), with how long
 * a process start took at real-time priority meanwhile, with `--probe` (support/fork-probe.ts: stalls of
 * the machine). The probe is off by default: each start forks the probe's Node process, and at 20 a
 * second it takes 0.06–0.3 of a core (by the machine) ahead of every tenant, the victim included.
 *
 * The bench edge raises the registration and login limits per IP (every tenant signs up from 127.0.0.1).
 * `--limits product` (the default) keeps the run and API limits as shipped (wrangler.toml: 30 runs and
 * 120 API requests a minute per user, 8 MiB of output a minute per organization), the platform a
 * tenant meets: a neighbour answered 429 waits its `Retry-After`, as a client library does, and the
 * neighbours first loop for one rate window (60 s), so the victim is measured against their steady
 * pace rather than the burst a fresh user's first minute allows. `--limits lifted` raises them too:
 * the neighbours then loop as fast as the platform answers, a stress beyond what the product lets a
 * tenant do. In both modes the victim's runs in each phase come from fresh users (VICTIM_RUNS_PER_USER
 * each), so the shipped limits never refuse the victim itself.
 * Concurrency caps per user and organization stay at their defaults (each tenant has one run in flight).
 *
 * The victim pauses 1 s after each run by default: a person trying hello worlds, light next to its
 * neighbours. With `--pause 100` it sends a run every ~150 ms (edge and direct alternating), and its own
 * container churn keeps ~1.5 of this machine's 2 cores busy in the quiet phase: the baseline is then a
 * loaded machine, and the victim the heaviest tenant of all (docs/sandbox-host.md, "Noisy neighbours").
 */
import { parseArgs } from 'node:util';
import { Client } from '../e2e/support/client.ts';
import { detectCgroupLayout } from '../sandbox-host/src/docker/cgroup.ts';
import { readFavorDynmods } from '../sandbox-host/src/docker/cgroup-dynmods.ts';
import { readProcessCpuWeight } from '../sandbox-host/src/docker/engine-weight.ts';
import { directRun } from './support/direct-run.ts';
import { startForkProbe } from './support/fork-probe.ts';
import { machineCostsLine, measureMachineCosts } from './support/machine-costs.ts';
import {
  cgroupCpuMs,
  cgroupThrottling,
  machineCpuMs,
  pidFromFile,
  pidsByCommand,
  processCpuMs,
} from './support/proc-cpu.ts';
import { quantile } from './support/quantile.ts';
import { LIFTED_OUTPUT_KIB, LIFTED_RATE, startBenchStack } from './support/stack.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    pool: { type: 'string', default: '6' },
    noise: { type: 'string', default: 'cpu,fork,memory,flood,sleep' },
    'host-env': { type: 'string', default: '{}' },
    limits: { type: 'string', default: 'product' },
    pause: { type: 'string', default: '1000' },
    'edge-state': { type: 'string', default: 'disk' },
    probe: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
if (values.only !== undefined && values.only !== 'sleepers') throw new Error('--only: sleepers');
if (values.limits !== 'lifted' && values.limits !== 'product') throw new Error('--limits: lifted or product');
const RUNS = Number(values.runs);
const POOL = Number(values.pool);
const PAUSE_MS = Number(values.pause);
if (!(PAUSE_MS >= 0)) throw new Error('--pause: a number of milliseconds');
if (values['edge-state'] !== 'disk' && values['edge-state'] !== 'memory') {
  throw new Error('--edge-state: disk or memory');
}
/**
 * A RAM file system for `--edge-state memory`. Every commit of the local D1 and Durable Objects is an
 * fsync, and on the disk the engine writes to (a container's life writes its config and layers) those
 * fsyncs wait behind the engine's, holding workerd's one thread meanwhile. In production the edge's
 * storage is not on the sandbox machine, so this takes a local set-up's cost out of the comparison.
 */
const MEMORY_STATE_ROOT = '/dev/shm';
const SLEEPERS = 20;
/** The edge's rate rules this bench lifts (to LIFTED_RATE), so that no tenant is throttled by them. */
const LIFTED = ['RATE_LIMIT_REGISTER', 'RATE_LIMIT_LOGIN'].concat(
  values.limits === 'lifted' ? ['RATE_LIMIT_RUNS', 'RATE_LIMIT_API'] : [],
);
/** Below the shipped 30 runs a minute per user, with room for the warm-up. */
const VICTIM_RUNS_PER_USER = 25;
/** How long the neighbours loop before the victim is measured: their first runs, or one rate window. */
const SETTLE_MS = values.limits === 'product' ? 60_000 : 1500;

const HELLO = { language: 'python', code: 'print("hello, world")' };
const ALL_NOISE: Record<string, Record<string, unknown>> = {
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
  // Not in the default mix: an output flood of 64-byte lines. Python runs unbuffered, so each line is
  // a write and the host relays small frames (thousands per run instead of ~80).
  lines: { language: 'python', code: 'while True:\n    print("x" * 63)' },
  sleep: { language: 'python', code: 'import time\ntime.sleep(5)', limits: { timeoutMs: 6000 } },
};
const NOISE = Object.fromEntries(
  values.noise
    .split(',')
    .filter((n) => n in ALL_NOISE)
    .map((n) => [n, ALL_NOISE[n] as Record<string, unknown>]),
);

const f0 = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(0));
const stats = (xs: readonly number[]) =>
  `p50 ${f0(quantile(xs, 0.5))} ms  p90 ${f0(quantile(xs, 0.9))} ms  max ${f0(quantile(xs, 1))} ms  (n=${xs.length})`;

/** What the host logged about one run (sandbox-host/src/runner/service.ts). */
interface HostTiming {
  warm?: boolean;
  queued?: boolean;
  admissionWaitMs?: number;
  acquireMs?: number;
  wallMs?: number;
}

/** Collects the host's per-run log lines by run id. */
function hostTimings(stdout: NodeJS.ReadableStream): Map<string, HostTiming> {
  const byRun = new Map<string, HostTiming>();
  let buffered = '';
  stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"run started"') && !line.includes('"run finished"')) continue;
      try {
        const entry = JSON.parse(line) as HostTiming & { runId?: string };
        if (!entry.runId) continue;
        const t = byRun.get(entry.runId) ?? {};
        for (const k of ['warm', 'queued', 'admissionWaitMs', 'acquireMs', 'wallMs'] as const) {
          if (entry[k] !== undefined) (t as Record<string, unknown>)[k] = entry[k];
        }
        byRun.set(entry.runId, t);
      } catch {
        // Not a JSON line.
      }
    }
  });
  return byRun;
}

interface Outcome {
  id?: string;
  ms: number;
  status: string;
  /** A 429's Retry-After, in ms. */
  retryAfterMs?: number;
}

async function run(client: Client, request: Record<string, unknown>): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const res = await client.call('POST', '/v1/runs', { ...request, wait: true });
    const ms = performance.now() - t0;
    if (res.status === 200) return { id: res.json.id, ms, status: res.json.status };
    const retryAfter = Number(res.headers.get('retry-after'));
    return {
      id: res.json?.id,
      ms,
      status: `${res.status} ${res.json?.error?.code ?? res.json?.status ?? ''}`,
      ...(res.status === 429 && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    };
  } catch (err) {
    return { ms: performance.now() - t0, status: (err as Error).name };
  }
}

async function tenant(edgeUrl: string): Promise<Client> {
  const client = new Client(edgeUrl);
  await client.signUp();
  return client;
}

interface Phase {
  errors: string[];
  ids: string[];
  /** Client-side ms by run id (succeeded runs), to subtract the host's part from. */
  edgeMs: Map<string, number>;
  /** The same hello world sent to the host directly, interleaved: what the host alone takes. */
  directMs: Map<string, number>;
  /** When a direct run's first output came (ms, the same clock): late before the program or after it. */
  directFirstOutputMs: Map<string, number>;
}

type Direct = () => Promise<{ runId: string; status: string; ms: number; firstOutputMs: number }>;

/** The victim's runs in one phase, spread over fresh users (VICTIM_RUNS_PER_USER runs each). */
async function victim(clients: readonly Client[], direct: Direct): Promise<Phase> {
  const phase: Phase = {
    errors: [],
    ids: [],
    edgeMs: new Map(),
    directMs: new Map(),
    directFirstOutputMs: new Map(),
  };
  const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  for (let i = 0; i < RUNS; i++) {
    const client = clients[Math.floor(i / VICTIM_RUNS_PER_USER)] as Client;
    const r = await run(client, HELLO);
    if (r.id) phase.ids.push(r.id);
    if (r.id && r.status === 'succeeded') phase.edgeMs.set(r.id, r.ms);
    else phase.errors.push(r.status);
    await pause();
    const d = await direct();
    if (d.status === 'succeeded') {
      phase.directMs.set(d.runId, d.ms);
      phase.directFirstOutputMs.set(d.runId, d.firstOutputMs);
    } else phase.errors.push(`direct ${d.status}`);
    await pause();
  }
  return phase;
}

/** containerd's cgroup and CPU weight (scripts/docker-engine.sh lowers it: AIRLOCK_ENGINE_CPU_WEIGHT). */
async function engineWeight(): Promise<string> {
  const pid = pidFromFile(CONTAINERD_PID_FILE);
  const layout = await detectCgroupLayout('/sys/fs/cgroup');
  const w = pid === undefined ? null : await readProcessCpuWeight(pid, layout, '/sys/fs/cgroup');
  return w === null ? 'weight unknown' : `in ${w.cgroup} at CPU weight ${w.weight}`;
}

const CONTAINERD_PID_FILE = '/var/run/docker/containerd/containerd.pid';

/** Who used the CPU: cumulative ms at one instant. */
type CpuSnapshot = Record<string, number>;

function cpuSnapshot(hostPid: number, edgeGroup: number): CpuSnapshot {
  const engine = pidFromFile('/var/run/docker.pid');
  const containerd = pidFromFile(CONTAINERD_PID_FILE);
  return {
    machine: machineCpuMs(),
    sandboxes: cgroupCpuMs('airlock') ?? Number.NaN,
    dockerd: engine ? processCpuMs([engine]) : Number.NaN,
    containerd: containerd ? processCpuMs([containerd]) : Number.NaN,
    shims: processCpuMs(pidsByCommand('containerd-shim')),
    workerd: processCpuMs(pidsByCommand('workerd', edgeGroup)),
    wrangler: processCpuMs(pidsByCommand('node', edgeGroup)),
    host: processCpuMs([hostPid]),
    bench: processCpuMs([process.pid]),
    at: performance.now(),
    periods: cgroupThrottling('airlock')?.periods ?? Number.NaN,
    throttled: cgroupThrottling('airlock')?.throttled ?? Number.NaN,
    throttledMs: cgroupThrottling('airlock')?.throttledMs ?? Number.NaN,
  };
}

const THROTTLING = ['periods', 'throttled', 'throttledMs'];

function cpuLine(before: CpuSnapshot, after: CpuSnapshot): string {
  const seconds = ((after.at ?? 0) - (before.at ?? 0)) / 1000;
  const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  const cores = Object.keys(after)
    .filter((k) => k !== 'at' && !THROTTLING.includes(k))
    .map((k) => `${k} ${(delta(k) / 1000 / seconds).toFixed(2)}`)
    .join(', ');
  return `${cores}; sandboxes' parent throttled in ${delta('throttled')} of ${delta('periods')} periods, ${delta('throttledMs').toFixed(0)} ms`;
}

function hostLine(
  ids: readonly string[],
  timings: Map<string, HostTiming>,
  ms?: Map<string, number>,
): string {
  const t = ids.map((id) => timings.get(id)).filter((x): x is HostTiming => x !== undefined);
  const pick = (k: keyof HostTiming) => t.map((x) => x[k]).filter((v): v is number => typeof v === 'number');
  const warm = t.filter((x) => x.warm === true).length;
  const pq = (xs: number[]) => `${f0(quantile(xs, 0.5))}/${f0(quantile(xs, 0.9))}`;
  const q = (k: keyof HostTiming) => pq(pick(k));
  // The client's time minus the host's part of the same run: the edge, the wire and the host's
  // connection and token check.
  const rest: number[] = [];
  for (const [id, total] of ms ?? []) {
    const h = timings.get(id);
    if (h?.wallMs !== undefined) rest.push(total - (h.admissionWaitMs ?? 0) - (h.acquireMs ?? 0) - h.wallMs);
  }
  const restText = ms ? `; the rest (edge, wire) ${pq(rest)}` : '';
  return `host side (p50/p90 ms): admission wait ${q('admissionWaitMs')}, take a container ${q('acquireMs')} (warm ${warm}/${t.length}), program wall ${q('wallMs')}${restText}`;
}

/**
 * The slowest runs one by one: which part of each took the time (the p90 is made of a few of them),
 * with when the first output came where the client saw it.
 */
function slowestLine(
  ms: Map<string, number>,
  timings: Map<string, HostTiming>,
  firstOutputMs?: Map<string, number>,
  count = 3,
): string {
  return [...ms]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([id, total]) => {
      const h = timings.get(id);
      const first = firstOutputMs?.has(id)
        ? ` (first output at ${f0(firstOutputMs.get(id) ?? Number.NaN)})`
        : '';
      if (h?.wallMs === undefined) return `${f0(total)} (no host lines)${first}`;
      const rest = total - (h.admissionWaitMs ?? 0) - (h.acquireMs ?? 0) - h.wallMs;
      const take = `${f0(h.acquireMs ?? Number.NaN)} ${h.warm ? 'warm' : 'created'}`;
      return `${f0(total)} = wait ${f0(h.admissionWaitMs ?? Number.NaN)} + take ${take} + wall ${f0(h.wallMs)} + rest ${f0(rest)}${first}`;
    })
    .join('; ');
}

/** What the fork probe saw in one phase (bench/support/fork-probe.ts). */
function probeLine(durations: readonly number[], realtime: boolean): string {
  const over = durations.filter((d) => d > 50).length;
  return `process starts (/bin/true every 50 ms, ${realtime ? 'real-time priority' : 'normal priority: no chrt'}): ${stats(durations)}, over 50 ms: ${over}`;
}

async function main(): Promise<void> {
  // Before anything of the stack runs: what this machine charges, to tell sittings on other machines apart.
  const machine = measureMachineCosts();
  const stack = await startBenchStack({
    hostEnv: {
      POOL_SIZE: String(POOL),
      POOL_LANGUAGES: 'python',
      ...(JSON.parse(values['host-env']) as Record<string, string>),
    },
    edgeVars: {
      ...Object.fromEntries(LIFTED.map((name) => [name, LIFTED_RATE])),
      // Lifted, the flood's organization's output budget goes too.
      ...(values.limits === 'lifted' ? { RATE_LIMIT_OUTPUT_KIB: LIFTED_OUTPUT_KIB } : {}),
    },
    stateRoot: values['edge-state'] === 'memory' ? MEMORY_STATE_ROOT : undefined,
  });
  const { host, edge } = stack;
  const direct: Direct = () => directRun(host.url, host.id, stack.signingKey, HELLO);
  const timings = hostTimings(host.child.stdout as NodeJS.ReadableStream);
  const readyz = async () =>
    (await (await fetch(`${host.http}/readyz`)).json()) as {
      admission: Record<string, unknown> & { running: number };
      pool: Record<string, number>;
    };
  const cpu = () => cpuSnapshot(host.child.pid as number, edge.child.pid as number);
  try {
    const warmUp = await tenant(edge.url);
    const victimUsers = () =>
      Promise.all(Array.from({ length: Math.ceil(RUNS / VICTIM_RUNS_PER_USER) }, () => tenant(edge.url)));
    const victims = values.only
      ? { quiet: [], noisy: [] }
      : { quiet: await victimUsers(), noisy: await victimUsers() };
    const neighbours = values.only ? [] : await Promise.all(Object.keys(NOISE).map(() => tenant(edge.url)));
    const sleepers = await Promise.all(Array.from({ length: SLEEPERS }, () => tenant(edge.url)));
    // Warm-up: the edge's first runs (runtime list, host connection) and a full pool.
    for (let i = 0; i < 3; i++) await run(warmUp, HELLO);
    for (let i = 0; i < 600; i++) {
      const ready = await readyz().catch(() => undefined);
      if (ready?.pool.python === POOL) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const ready = await readyz();
    console.log(
      `noisy-neighbour bench through the edge, ${new Date().toISOString()}, pool ${POOL}, rate limits ${values.limits}, victim pause ${PAUSE_MS} ms, edge state on ${values['edge-state']}, noise ${Object.keys(NOISE).join(',')}, host env ${values['host-env']}, budget ${JSON.stringify(ready.admission.budget)}, cgroup favordynmods ${await readFavorDynmods()}, engine (containerd) ${await engineWeight()}, fork probe ${values.probe ? 'on' : 'off'}${values.only ? ', only the sleepers' : ''}`,
    );
    console.log(machineCostsLine(machine));

    let c0 = cpu();
    if (!values.only) {
      let probe = values.probe ? startForkProbe() : undefined;
      const quiet = await victim(victims.quiet, direct);
      const quietStarts = probe?.stop();
      console.log(`victim quiet:  ${stats([...quiet.edgeMs.values()])}  errors ${quiet.errors.length}`);
      console.log(`  the same sent to the host directly: ${stats([...quiet.directMs.values()])}`);
      console.log(`  ${hostLine(quiet.ids, timings, quiet.edgeMs)}`);
      console.log(`  CPU (cores): ${cpuLine(c0, cpu())}`);
      if (probe && quietStarts) console.log(`  ${probeLine(quietStarts, probe.realtime)}`);

      let stop = false;
      const outcomes: Record<string, Record<string, number>> = {};
      const neighbourIds: Record<string, string[]> = {};
      const noisy = Object.entries(NOISE).map(async ([name, request], i) => {
        const counts: Record<string, number> = {};
        outcomes[name] = counts;
        const ids: string[] = [];
        neighbourIds[name] = ids;
        const client = neighbours[i] as Client;
        while (!stop) {
          const r = await run(client, request);
          counts[r.status] = (counts[r.status] ?? 0) + 1;
          if (r.id) ids.push(r.id);
          if (r.retryAfterMs !== undefined) await new Promise((wait) => setTimeout(wait, r.retryAfterMs));
        }
      });
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      c0 = cpu();
      probe = values.probe ? startForkProbe() : undefined;
      const loaded = await victim(victims.noisy, direct);
      const cpuNoisy = cpuLine(c0, cpu());
      const noisyStarts = probe?.stop();
      const during = await readyz();
      stop = true;
      await Promise.all(noisy);
      console.log(
        `victim noisy:  ${stats([...loaded.edgeMs.values()])}  errors ${loaded.errors.length} ${loaded.errors.join(',')}`,
      );
      console.log(`  the same sent to the host directly: ${stats([...loaded.directMs.values()])}`);
      console.log(`  ${hostLine(loaded.ids, timings, loaded.edgeMs)}`);
      console.log(`  slowest through the edge (ms): ${slowestLine(loaded.edgeMs, timings)}`);
      console.log(
        `  slowest sent directly (ms): ${slowestLine(loaded.directMs, timings, loaded.directFirstOutputMs)}`,
      );
      console.log(`  CPU (cores): ${cpuNoisy}`);
      if (probe && noisyStarts) console.log(`  ${probeLine(noisyStarts, probe.realtime)}`);
      const ratio = (q: number, path: 'edgeMs' | 'directMs' = 'edgeMs') =>
        quantile([...loaded[path].values()], q) / quantile([...quiet[path].values()], q);
      console.log(
        `  noisy / quiet through the edge: p50 ${ratio(0.5).toFixed(2)}x (target <= 2), p90 ${ratio(0.9).toFixed(2)}x (target <= 4), errors ${loaded.errors.length} (target 0)`,
      );
      console.log(
        `  noisy / quiet at the host directly: p50 ${ratio(0.5, 'directMs').toFixed(2)}x, p90 ${ratio(0.9, 'directMs').toFixed(2)}x`,
      );
      console.log(`  neighbours' outcomes: ${JSON.stringify(outcomes)}`);
      // Whether the neighbours took warm containers or waited for their own (POOL_SHORT_RESERVE).
      const warmOf = (ids: string[]) => {
        const t = ids.map((id) => timings.get(id)).filter((x) => x !== undefined);
        return `${t.filter((x) => x.warm === true).length}/${t.length}`;
      };
      console.log(
        `  neighbours' warm containers: ${Object.entries(neighbourIds)
          .map(([name, ids]) => `${name} ${warmOf(ids)}`)
          .join(', ')}`,
      );
      console.log(`  admission at the end of the noisy phase: ${JSON.stringify(during.admission)}`);
    }
    // Let the neighbours' last runs end and the pool refill before the sleepers.
    for (let i = 0; i < 600; i++) {
      const r = await readyz().catch(() => undefined);
      if (r?.admission.running === 0 && r.pool.python === POOL) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    let peak = 0;
    const poll = setInterval(() => {
      void readyz()
        .then((r) => {
          peak = Math.max(peak, r.admission.running);
        })
        .catch(() => undefined);
    }, 100);
    c0 = cpu();
    const t0 = performance.now();
    const slept = await Promise.all(
      sleepers.map((client) =>
        run(client, { language: 'python', code: 'import time\ntime.sleep(5)', limits: { timeoutMs: 8000 } }),
      ),
    );
    const allMs = performance.now() - t0;
    clearInterval(poll);
    const ids = slept.map((s) => s.id).filter((id): id is string => id !== undefined);
    const notQueued = ids.filter((id) => timings.get(id)?.queued === false).length;
    const ok = slept.filter((s) => s.status === 'succeeded').length;
    console.log(
      `${SLEEPERS} x sleep(5) from ${SLEEPERS} tenants: admitted at once ${notQueued}/${SLEEPERS}, peak admitted ${peak}, succeeded ${ok}/${SLEEPERS}, all answered in ${(allMs / 1000).toFixed(2)} s (target 9 s; each: ${stats(slept.map((s) => s.ms))})`,
    );
    console.log(`  ${hostLine(ids, timings)}`);
    console.log(`  CPU (cores): ${cpuLine(c0, cpu())}`);
  } finally {
    await stack.stop();
  }
}

await main();
