/**
 * Bench (issue 13): the task path's overhead. One sitting, one process tree, interleaved:
 *   direct  the local OpenAI-compatible provider server called directly (SSE), the program taken
 *           from its reply, then run on the sandbox host directly (signed token, WebSocket);
 *   task    POST /v1/tasks on `wrangler dev` against the same provider server and host, watched on
 *           its stream: first `token` frame, then the attempt's `exit` frame (the run's result);
 *   run     the plain-run baseline of bench/edge-runs.ts: the same program by POST /v1/runs and its
 *           stream, beside the same program sent to the host directly, to tell what the edge adds
 *           to any run from what the task path adds on top.
 * Prints median and p90 of time to first model token and to the run's result, and the ratios.
 * Printed, never asserted.
 *
 *   node bench/tasks-overhead.ts [iterations=30] [warmup=3]
 *
 * Needs the Docker engine and the python runtime image (`npm start` or `npm test` set both up).
 * Everything binds 127.0.0.1 on free ports; every process it starts is stopped at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, type JWK } from 'jose';
import { Client, type Frame, openStream } from '../e2e/support/client.ts';
import { startEdgeProcess } from '../e2e/support/edge-process.ts';
import { startHostProcess } from '../e2e/support/host-process.ts';
import { extractProgram, systemPrompt } from '../edge/src/domain/tasks/program.ts';
import { type ScriptedReply, startProviderServers } from '../edge/test/tasks/harness/provider-servers.ts';
import { generateDevSecrets } from '../scripts/dev-secrets.ts';
import { directRun } from './support/direct-run.ts';
import { quantile } from './support/quantile.ts';

const iterations = Number(process.argv[2] ?? 30);
const warmup = Number(process.argv[3] ?? 3);
const MODEL = 'bench-model';
const PROMPT = 'Print hello, world.';
const PROGRAM = 'print("hello, world")';

/** The model's reply, in 7-character chunks as the task tests script it. */
function reply(): ScriptedReply {
  const text = `Here is the program.\n\n\`\`\`python\n${PROGRAM}\n\`\`\`\n`;
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 7) chunks.push(text.slice(i, i + 7));
  return { kind: 'text', chunks, inputTokens: 42, outputTokens: chunks.length };
}

interface Sample {
  firstTokenMs: number;
  resultMs: number;
}

const fmt = (n: number) => (Number.isNaN(n) ? '   -  ' : `${n.toFixed(1).padStart(6)}`);

async function script(controlUrl: string, key: string): Promise<void> {
  const res = await fetch(`${controlUrl}/script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, replies: [reply()] }),
  });
  if (res.status !== 200) throw new Error(`script: ${res.status}`);
}

/** The provider's chat completions stream, read as a client would: first content, then the whole text. */
async function callProvider(
  baseUrl: string,
  key: string,
  t0: number,
): Promise<{ firstMs: number; text: string }> {
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 4096,
      messages: [
        { role: 'system', content: systemPrompt('python') },
        { role: 'user', content: PROMPT },
      ],
    }),
  });
  if (res.status !== 200 || !res.body) throw new Error(`provider: ${res.status}`);
  let firstMs = Number.NaN;
  let text = '';
  let buffer = '';
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      cut = buffer.indexOf('\n\n');
      const data = event.startsWith('data: ') ? event.slice(6) : '';
      if (data === '' || data === '[DONE]') continue;
      const parsed = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
      const content = parsed.choices?.[0]?.delta?.content;
      if (content) {
        if (Number.isNaN(firstMs)) firstMs = performance.now() - t0;
        text += content;
      }
    }
  }
  return { firstMs, text };
}

async function main() {
  const secrets = await generateDevSecrets();
  const stateDir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
  const providers = await startProviderServers();
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
        OPENAI_BASE_URL: providers.baseUrls.openai,
        TASK_MODELS_OPENAI: '*',
        RATE_LIMIT_RUNS: '100000/1m',
        RATE_LIMIT_TASKS: '100000/1m',
        RATE_LIMIT_API: '100000/1m',
      },
    });
    const signingKey = (await importJWK(
      JSON.parse(secrets.worker.SANDBOX_SIGNING_JWK as string) as JWK,
      'EdDSA',
    )) as CryptoKey;
    const client = new Client(edge.url);
    await client.signUp();
    const providerKey = `sk-bench-${randomUUID()}`;
    const stored = await client.call('PUT', '/v1/provider-keys/openai', { key: providerKey });
    if (stored.status !== 200 && stored.status !== 201) throw new Error(`provider key: ${stored.status}`);

    const direct = async (): Promise<Sample> => {
      await script(providers.controlUrl, providerKey);
      const t0 = performance.now();
      const model = await callProvider(providers.baseUrls.openai, providerKey, t0);
      const files = extractProgram(model.text, 'python');
      if (!files?.[0]) throw new Error('no program in the reply');
      const run = await directRun(host.url, host.id, signingKey, {
        language: 'python',
        code: files[0].content,
      });
      if (run.status !== 'succeeded') throw new Error(`host: ${run.status}`);
      return { firstTokenMs: model.firstMs, resultMs: performance.now() - t0 };
    };
    const task = async (): Promise<Sample> => {
      await script(providers.controlUrl, providerKey);
      const t0 = performance.now();
      const created = await client.call('POST', '/v1/tasks', {
        prompt: PROMPT,
        provider: 'openai',
        model: MODEL,
        language: 'python',
      });
      if (created.status !== 202) throw new Error(`task: ${created.status} ${JSON.stringify(created.json)}`);
      const stream = await openStream(created.json.streamUrl);
      await stream.until((f: Frame) => f.type === 'token');
      const firstTokenMs = performance.now() - t0;
      const exit = await stream.until((f: Frame) => f.type === 'exit');
      const resultMs = performance.now() - t0;
      stream.close();
      if (exit.result?.status !== 'succeeded') throw new Error(`task run: ${JSON.stringify(exit.result)}`);
      return { firstTokenMs, resultMs };
    };
    const runDirect = async (): Promise<Sample> => {
      const t0 = performance.now();
      const run = await directRun(host.url, host.id, signingKey, { language: 'python', code: PROGRAM });
      if (run.status !== 'succeeded') throw new Error(`host: ${run.status}`);
      return { firstTokenMs: Number.NaN, resultMs: performance.now() - t0 };
    };
    const runEdge = async (): Promise<Sample> => {
      const t0 = performance.now();
      const created = await client.call('POST', '/v1/runs', { language: 'python', code: PROGRAM });
      if (created.status !== 202) throw new Error(`run: ${created.status}`);
      const stream = await openStream(created.json.streamUrl);
      await stream.ended;
      stream.close();
      return { firstTokenMs: Number.NaN, resultMs: performance.now() - t0 };
    };
    // A pause before each path lets the warm pool refill, as between real requests.
    const settled = async <T>(fn: () => Promise<T>) => {
      await new Promise((r) => setTimeout(r, 300));
      return fn();
    };

    const samples = {
      direct: [] as Sample[],
      task: [] as Sample[],
      runDirect: [] as Sample[],
      runEdge: [] as Sample[],
    };
    for (let i = 0; i < warmup + iterations; i++) {
      // Interleaved, so drift (pool refills, other load on the machine) hits every path alike.
      const d = await settled(direct);
      const t = await settled(task);
      const rd = await settled(runDirect);
      const re = await settled(runEdge);
      if (i >= warmup) {
        samples.direct.push(d);
        samples.task.push(t);
        samples.runDirect.push(rd);
        samples.runEdge.push(re);
      }
    }

    const q = (list: Sample[], k: keyof Sample, p: number) =>
      quantile(
        list.map((s) => s[k]),
        p,
      );
    const row = (name: string, list: Sample[]) =>
      `${name.padEnd(40)} ${fmt(q(list, 'firstTokenMs', 0.5))} ${fmt(q(list, 'firstTokenMs', 0.9))}   ${fmt(q(list, 'resultMs', 0.5))} ${fmt(q(list, 'resultMs', 0.9))}`;
    console.log(
      `\nA task (one model call, one hello-world Python run), ${iterations} per path (+${warmup} warm-up), ms`,
    );
    console.log(`${''.padEnd(40)}  first token       run result`);
    console.log(`${''.padEnd(40)}    p50    p90      p50    p90`);
    console.log(row('direct: provider SSE, then sandbox host', samples.direct));
    console.log(row('edge: POST /v1/tasks + task stream', samples.task));
    console.log(row('plain run, sandbox host directly', samples.runDirect));
    console.log(row('plain run, edge POST /v1/runs + stream', samples.runEdge));
    const added = (k: keyof Sample, p: number) => q(samples.task, k, p) - q(samples.direct, k, p);
    const runAdded = q(samples.runEdge, 'resultMs', 0.5) - q(samples.runDirect, 'resultMs', 0.5);
    console.log(
      `\ntask path adds: first token p50 ${fmt(added('firstTokenMs', 0.5))} ms (ratio ${(q(samples.task, 'firstTokenMs', 0.5) / q(samples.direct, 'firstTokenMs', 0.5)).toFixed(2)}), p90 ${fmt(added('firstTokenMs', 0.9))} ms`,
    );
    console.log(
      `                run result  p50 ${fmt(added('resultMs', 0.5))} ms (ratio ${(q(samples.task, 'resultMs', 0.5) / q(samples.direct, 'resultMs', 0.5)).toFixed(2)}), p90 ${fmt(added('resultMs', 0.9))} ms`,
    );
    console.log(
      `edge adds to a plain run: p50 ${fmt(runAdded)} ms; task path beyond that at p50: ${fmt(added('resultMs', 0.5) - runAdded)} ms (target ≤ 10)`,
    );
  } finally {
    await edge?.stop();
    await host.stop(10_000);
    await providers.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
