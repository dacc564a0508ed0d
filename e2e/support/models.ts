/**
 * The e2e side of the local model providers' control API (edge/test/tasks/harness/provider-servers.ts,
 * started by global-setup.ts): queue a model's replies for a provider key. Each key is unique to a
 * test, so scripts never mix.
 */
import { randomUUID } from 'node:crypto';
import type { ScriptedReply } from '../../edge/test/tasks/harness/provider-servers.ts';

export const freshProviderKey = () => `sk-console-${randomUUID()}`;

export async function scriptReplies(controlUrl: string, key: string, ...replies: ScriptedReply[]) {
  const res = await fetch(`${controlUrl}/script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key, replies }),
  });
  if (res.status !== 200) throw new Error(`script: ${res.status} ${await res.text()}`);
}

/** A streamed reply in small chunks, as a model's tokens arrive. */
export function streamedReply(text: string, chunkSize = 6): ScriptedReply {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += chunkSize) chunks.push(text.slice(i, i + chunkSize));
  return { kind: 'text', chunks, inputTokens: 30, outputTokens: chunks.length };
}
