/**
 * A local OpenAI-compatible model provider for the e2e suite (chat completions streamed as SSE, on
 * 127.0.0.1): the edge task tests' provider server (edge/test/tasks/harness/provider-servers.ts), so
 * the wire format is written once. Global setup starts it and gives the edge its base URL as the
 * operator would (OPENAI_BASE_URL, TASK_MODELS_OPENAI); tests queue replies per provider API key over
 * the control URL (`inject('system').openaiControlUrl`), so tests of different files never share one.
 */
import { randomUUID } from 'node:crypto';
import {
  type RecordedRequest,
  type ScriptedReply,
  startProviderServers,
} from '../../edge/test/tasks/harness/provider-servers.ts';

export type { RecordedRequest, ScriptedReply };

export interface OpenAiServer {
  /** What OPENAI_BASE_URL takes (…/v1). */
  baseUrl: string;
  controlUrl: string;
  close(): Promise<void>;
}

export async function startOpenAiServer(): Promise<OpenAiServer> {
  const servers = await startProviderServers();
  return { baseUrl: servers.baseUrls.openai, controlUrl: servers.controlUrl, close: () => servers.close() };
}

/** The Worker vars that point the edge at `server` and offer `models` on it (`*`: any model id). */
export const openAiVars = (server: OpenAiServer, models: string[] = ['*']) => ({
  OPENAI_BASE_URL: server.baseUrl,
  TASK_MODELS_OPENAI: models.join(','),
});

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });

/** Queues the replies the server gives, in order, to requests made with provider key `key`. */
export async function scriptReplies(controlUrl: string, key: string, ...replies: ScriptedReply[]) {
  const res = await post(`${controlUrl}/script`, { key, replies });
  if (res.status !== 200) throw new Error(`script: ${res.status} ${await res.text()}`);
}

/** The requests that arrived with provider key `key` (headers and JSON body). */
export async function receivedRequests(controlUrl: string, key: string): Promise<RecordedRequest[]> {
  const res = await post(`${controlUrl}/requests`, { key });
  return ((await res.json()) as { requests: RecordedRequest[] }).requests;
}

/** A fresh provider key, so one test's scripts and records never mix with another's. */
export const freshProviderKey = () => `sk-e2e-${randomUUID()}`;

/** A streamed reply in small chunks, as a model's tokens arrive. */
export function streamedReply(text: string, chunkSize = 6, inputTokens = 30): ScriptedReply {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += chunkSize) chunks.push(text.slice(i, i + chunkSize));
  return { kind: 'text', chunks, inputTokens, outputTokens: chunks.length };
}

/** A model reply holding one fenced program, in small chunks as a real stream sends them. */
export function programReply(program: string, language = 'python'): ScriptedReply {
  return streamedReply(`Here is the program.\n\n\`\`\`${language}\n${program}\n\`\`\`\n`, 7, 42);
}
