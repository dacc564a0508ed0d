/**
 * The task tests' side of the provider servers' control API (harness/provider-servers.ts): queue
 * replies for a key, read back what arrived with it.
 */
import { env } from 'cloudflare:test';
import { jsonInit } from '../helpers.ts';
import type { RecordedRequest, ScriptedReply } from './harness/provider-servers.ts';

export type { RecordedRequest, ScriptedReply };

export async function script(key: string, ...replies: ScriptedReply[]): Promise<void> {
  const res = await fetch(`${env.PROVIDERS_CONTROL_URL}/script`, jsonInit('POST', { key, replies }));
  if (res.status !== 200) throw new Error(`script: ${res.status} ${await res.text()}`);
}

export async function received(key: string): Promise<RecordedRequest[]> {
  const res = await fetch(`${env.PROVIDERS_CONTROL_URL}/requests`, jsonInit('POST', { key }));
  return ((await res.json()) as { requests: RecordedRequest[] }).requests;
}

/** A fresh provider key, unique per test so scripts and records never mix. */
export const freshKey = (provider: string) => `sk-${provider}-${crypto.randomUUID()}`;

/** A model reply holding one fenced program, split into small chunks like a real stream. */
export function programReply(program: string, language = 'python'): ScriptedReply {
  const text = `Here is the program.\n\n\`\`\`${language}\n${program}\n\`\`\`\n`;
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 7) chunks.push(text.slice(i, i + 7));
  return { kind: 'text', chunks, inputTokens: 42, outputTokens: chunks.length };
}
