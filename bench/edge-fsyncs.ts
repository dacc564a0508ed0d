/**
 * Bench (issue 10): the storage commits a `wait: true` hello world costs the local edge. Every commit
 * of the local D1 and of a Durable Object is an fsync on workerd's one thread, and under a noisy
 * neighbour each waits behind the engine's writes to the same disk (docs/sandbox-host.md, "Noisy
 * neighbours"). Counts the fsync and fdatasync calls of the edge's workerd processes with strace over
 * `runs` runs (after a warm-up) and prints them per run, by store: the D1 database, each Durable Object
 * class's objects (their write-ahead logs, and the files a new object's creation syncs), and the
 * namespace's metadata database (where alarms live). Printed, never asserted.
 *
 *   node bench/edge-fsyncs.ts [runs=40]
 *
 * Needs strace (`apt-get install strace`), the Docker engine and the python runtime image (`npm start`
 * or `npm test` set both up). Everything binds 127.0.0.1; every process it starts is stopped.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../e2e/support/client.ts';
import { pidsByCommand } from './support/proc-cpu.ts';
import { LIFTED_RATE, startBenchStack } from './support/stack.ts';

const runs = Number(process.argv[2] ?? 40);
const WARMUP = 5;
const REQUEST = { language: 'python', code: 'print("hello, world")', wait: true };

try {
  execFileSync('strace', ['-V'], { stdio: 'ignore' });
} catch {
  console.error('edge-fsyncs: strace is not installed (apt-get install strace)');
  process.exit(2);
}

/** `fsync(12</…/state/v3/do/airlock-edge-RunSession/<hex>.sqlite-wal>)` → `do RunSession *.sqlite-wal`. */
function storeOf(path: string): string {
  const rel = path.replace(/^.*\/state\/v3\//, '');
  const [kind, ns, file] = rel.split('/');
  const name = (ns ?? '').replace(/^airlock-edge-|^miniflare-/, '');
  if (file === undefined) return `${kind} ${name} (directory)`;
  return `${kind} ${name} ${file.replace(/^[0-9a-f]{64}/, '*')}`;
}

const stack = await startBenchStack({
  edgeVars: { RATE_LIMIT_RUNS: LIFTED_RATE, RATE_LIMIT_API: LIFTED_RATE },
});
let tracer: ChildProcess | undefined;
try {
  const client = new Client(stack.edge.url);
  await client.signUp();
  const run = async () => {
    const res = await client.call('POST', '/v1/runs', REQUEST);
    if (res.status !== 200 || res.json.status !== 'succeeded') throw new Error(`edge: ${res.status}`);
  };
  for (let i = 0; i < WARMUP; i++) await run();

  const out = join(tmpdir(), `airlock-edge-fsyncs-${process.pid}.txt`);
  const pids = pidsByCommand('workerd', stack.edge.child.pid as number);
  tracer = spawn(
    'strace',
    ['-f', '-y', '-e', 'trace=fsync,fdatasync', '-o', out, ...pids.flatMap((p) => ['-p', `${p}`])],
    {
      stdio: 'ignore',
    },
  );
  // strace attaches asynchronously; a pause lets it reach every thread before the first run.
  await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < runs; i++) await run();
  await new Promise((r) => setTimeout(r, 500));
  tracer.kill('SIGINT');
  await new Promise((r) => tracer?.once('exit', r));

  const counts = new Map<string, number>();
  for (const m of readFileSync(out, 'utf8').matchAll(/(?:fsync|fdatasync)\(\d+<([^>]+)>/g)) {
    const store = storeOf(m[1] as string);
    counts.set(store, (counts.get(store) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(
    `edge fsyncs per wait:true hello world, over ${runs} runs (${new Date().toISOString()}): ${(total / runs).toFixed(1)}`,
  );
  for (const [store, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${(n / runs).toFixed(1).padStart(5)}  ${store}`);
  }
} finally {
  tracer?.kill('SIGKILL');
  await stack.stop();
}
