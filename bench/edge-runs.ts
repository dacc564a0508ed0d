/**
 * Bench (issue 5): hello-world Python through the edge on `wrangler dev`, beside the same run sent to
 * the sandbox host directly, in one process tree and one sitting. Prints first-output and result
 * latency (median, p90) and what the edge adds. Printed, never asserted.
 *
 *   node bench/edge-runs.ts [iterations=40] [warmup=5]
 *
 * Needs the Docker engine and the python runtime image (`npm start` or `npm test` set both up).
 * Everything binds 127.0.0.1 on free ports; every process it starts is stopped at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST_PATHS, RUN_TOKEN, type RunTokenClaims, runRequestDigest } from '@airlock/protocol';
import { importJWK, type JWK, SignJWT } from 'jose';
import WebSocket from 'ws';
import { Client, openStream } from '../e2e/support/client.ts';
import { startEdgeProcess } from '../e2e/support/edge-process.ts';
import { startHostProcess } from '../e2e/support/host-process.ts';
import { generateDevSecrets } from '../scripts/dev-secrets.ts';

const iterations = Number(process.argv[2] ?? 40);
const warmup = Number(process.argv[3] ?? 5);
const REQUEST = { language: 'python', code: 'print("hello, world")' };
/** The organization the direct runs' tokens name (the host only groups runs by it). */
const BENCH_ORG = 'bench';

interface Sample {
  firstOutputMs: number;
  resultMs: number;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const fmt = (n: number) => (Number.isNaN(n) ? '   -  ' : `${n.toFixed(1).padStart(6)}`);

async function direct(hostUrl: string, hostId: string, key: CryptoKey): Promise<Sample> {
  const runId = randomUUID();
  const t0 = performance.now();
  const now = Math.floor(Date.now() / 1000);
  const claims: RunTokenClaims = {
    iss: RUN_TOKEN.issuer,
    aud: hostId,
    iat: now,
    exp: now + 30,
    jti: randomUUID(),
    run: runId,
    req: await runRequestDigest(REQUEST),
    org: BENCH_ORG,
  };
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: RUN_TOKEN.alg, typ: RUN_TOKEN.typ })
    .sign(key);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${hostUrl}${HOST_PATHS.run}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    let first = Number.NaN;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'run', runId, request: REQUEST })));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; result?: { status: string } };
      if (frame.type === 'stdout' && Number.isNaN(first)) first = performance.now() - t0;
      if (frame.type === 'exit') {
        resolve({ firstOutputMs: first, resultMs: performance.now() - t0 });
        ws.terminate();
      }
      if (frame.type === 'error') reject(new Error(String(data)));
    });
    ws.on('error', reject);
  });
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

async function settled<T>(fn: () => Promise<T>): Promise<T> {
  await new Promise((r) => setTimeout(r, 300));
  return fn();
}

async function main() {
  const secrets = await generateDevSecrets();
  const stateDir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
  const host = await startHostProcess({
    edgePublicJwk: secrets.sandboxHost.EDGE_PUBLIC_JWK,
    env: { POOL_SIZE: '3', POOL_LANGUAGES: 'python' },
  });
  let edge: Awaited<ReturnType<typeof startEdgeProcess>> | undefined;
  try {
    edge = await startEdgeProcess({
      stateDir,
      vars: {
        ...secrets.worker,
        SANDBOX_HOSTS: JSON.stringify([{ id: host.id, url: host.url }]),
        RATE_LIMIT_RUNS: '100000/1m',
        RATE_LIMIT_API: '100000/1m',
      },
    });
    const key = (await importJWK(
      JSON.parse(secrets.worker.SANDBOX_SIGNING_JWK as string) as JWK,
      'EdDSA',
    )) as CryptoKey;
    const client = new Client(edge.url);
    await client.signUp();

    const samples = {
      direct: [] as Sample[],
      stream: [] as Sample[],
      wait: [] as Sample[],
      baseline: [] as Sample[],
    };
    for (let i = 0; i < warmup + iterations; i++) {
      // Interleaved, so drift (pool refills, page cache) hits every path alike.
      // A pause before each run lets the warm pool refill, as between real requests: every path
      // then gets a pre-started container, never a cold one.
      const d = await settled(() => direct(host.url, host.id, key));
      const s = await settled(() => viaEdgeStream(client));
      const w = await settled(() => viaEdgeWait(client));
      const t0 = performance.now();
      await client.call('GET', '/v1/runs?limit=1');
      const baseline = performance.now() - t0;
      if (i >= warmup) {
        samples.direct.push(d);
        samples.stream.push(s);
        samples.wait.push(w);
        samples.baseline.push({ firstOutputMs: Number.NaN, resultMs: baseline });
      }
    }

    const row = (name: string, list: Sample[]) => {
      const first = list.map((s) => s.firstOutputMs).filter((n) => !Number.isNaN(n));
      const result = list.map((s) => s.resultMs);
      return `${name.padEnd(34)} ${fmt(quantile(first, 0.5))} ${fmt(quantile(first, 0.9))}   ${fmt(quantile(result, 0.5))} ${fmt(quantile(result, 0.9))}`;
    };
    const p50 = (list: Sample[], k: keyof Sample) =>
      quantile(
        list.map((s) => s[k]).filter((n) => !Number.isNaN(n)),
        0.5,
      );
    console.log(`\nhello-world Python, ${iterations} runs per path (+${warmup} warm-up), ms`);
    console.log(`${''.padEnd(34)}  first output      result`);
    console.log(`${''.padEnd(34)}    p50    p90      p50    p90`);
    console.log(row('sandbox host directly (WebSocket)', samples.direct));
    console.log(row('edge: POST + stream WebSocket', samples.stream));
    console.log(row('edge: POST wait:true', samples.wait));
    console.log(row('edge: GET /v1/runs?limit=1 (no run)', samples.baseline));
    console.log(
      `\nedge adds at p50: first output ${fmt(p50(samples.stream, 'firstOutputMs') - p50(samples.direct, 'firstOutputMs'))} ms, result (stream) ${fmt(p50(samples.stream, 'resultMs') - p50(samples.direct, 'resultMs'))} ms, result (wait) ${fmt(p50(samples.wait, 'resultMs') - p50(samples.direct, 'resultMs'))} ms`,
    );
  } finally {
    await edge?.stop();
    await host.stop(10_000);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
