/**
 * Bench (issue 10): what one output flood costs the edge. Runs the noisy-neighbour bench's flood
 * program (1 MiB of stdout in 64 KiB writes, then `output_limited`) and a program printing 64-byte
 * lines until the same limit, one at a time through the edge on `wrangler dev`, `wait: true` and
 * streamed to one watcher, and prints the CPU time of the wrangler-dev workerd
 * processes per run (from /proc, over each phase / runs) with the client's latency, beside a
 * hello world's. Sequential on purpose: the CPU per run is the figure, not the contention.
 * Printed, never asserted.
 *
 *   node bench/edge-output-cost.ts [runs=20]
 *
 * Needs the Docker engine and the python runtime image. Everything binds 127.0.0.1.
 */
import { Client, openStream } from '../e2e/support/client.ts';
import { pidsByCommand, processCpuMs } from './support/proc-cpu.ts';
import { quantile } from './support/quantile.ts';
import { LIFTED_OUTPUT_KIB, LIFTED_RATE, startBenchStack } from './support/stack.ts';

const RUNS = Number(process.argv[2] ?? 20);
const FLOOD = { language: 'python', code: 'import sys\nwhile True:\n    sys.stdout.write("x" * 65536)' };
// Python runs unbuffered (`python3 -u`): every line is its own write, so the host sends small frames.
const LINES = { language: 'python', code: 'while True:\n    print("x" * 63)' };
const HELLO = { language: 'python', code: 'print("hello, world")' };

async function waitRun(client: Client, request: Record<string, unknown>): Promise<string> {
  const res = await client.call('POST', '/v1/runs', { ...request, wait: true });
  if (res.status !== 200) throw new Error(`run: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.status as string;
}

async function streamRun(client: Client, request: Record<string, unknown>): Promise<string> {
  const created = await client.call('POST', '/v1/runs', request);
  if (created.status !== 202) throw new Error(`run: ${created.status} ${JSON.stringify(created.json)}`);
  const stream = await openStream(created.json.streamUrl);
  const exit = await stream.ended;
  const frames = stream.frames.filter((f) => f.type === 'stdout').length;
  stream.close();
  return `${(exit as { result?: { status?: string } }).result?.status} (${frames} stdout frames)`;
}

async function main(): Promise<void> {
  const stack = await startBenchStack({
    hostEnv: { POOL_SIZE: '2', POOL_LANGUAGES: 'python' },
    // Floods one after another from one user: the output budget is lifted too.
    edgeVars: {
      RATE_LIMIT_RUNS: LIFTED_RATE,
      RATE_LIMIT_API: LIFTED_RATE,
      RATE_LIMIT_OUTPUT_KIB: LIFTED_OUTPUT_KIB,
    },
  });
  const group = stack.edge.child.pid as number;
  const workerdMs = () => processCpuMs(pidsByCommand('workerd', group));
  try {
    const client = new Client(stack.edge.url);
    await client.signUp();
    for (let i = 0; i < 3; i++) await waitRun(client, HELLO);
    console.log(
      `edge cost of an output flood, ${new Date().toISOString()}, ${RUNS} runs per line, sequential`,
    );
    const phases: [string, () => Promise<string>][] = [
      ['hello world, wait:true', () => waitRun(client, HELLO)],
      ['flood 1 MiB, wait:true', () => waitRun(client, FLOOD)],
      ['flood 1 MiB, streamed to 1 watcher', () => streamRun(client, FLOOD)],
      ['1 MiB of 64-byte lines, wait:true', () => waitRun(client, LINES)],
      ['1 MiB of 64-byte lines, streamed', () => streamRun(client, LINES)],
    ];
    for (const [name, fn] of phases) {
      const ms: number[] = [];
      const outcomes = new Map<string, number>();
      const c0 = workerdMs();
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const outcome = await fn();
        ms.push(performance.now() - t0);
        const key = outcome.replace(/\(\d+ stdout frames\)/, '').trim();
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (i === RUNS - 1 && outcome.includes('frames')) outcomes.set(outcome, 1);
      }
      const cpuPerRun = (workerdMs() - c0) / RUNS;
      console.log(
        `${name.padEnd(36)} workerd CPU ${cpuPerRun.toFixed(0).padStart(4)} ms/run   latency p50 ${quantile(ms, 0.5).toFixed(0)} ms  p90 ${quantile(ms, 0.9).toFixed(0)} ms   ${JSON.stringify(Object.fromEntries(outcomes))}`,
      );
    }
  } finally {
    await stack.stop();
  }
}

await main();
