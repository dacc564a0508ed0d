/**
 * Tasks are scoped like runs (DESIGN.md rule 1): another tenant cannot read, list, stream or delete a
 * task (404, nothing of it in the body, nothing changed); the owner can list, read and erase it with
 * its runs. API keys act within the tasks scopes, with their creator's provider key.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { errorOf, jsonInit } from '../helpers.ts';
import { bearer, worker } from '../runs/support.ts';
import { mintApiKey, tenant } from '../tenancy/fixtures.ts';
import { freshKey, programReply, received, script } from './providers-script.ts';
import { getTask, postTask, registerUser, startTask, storeKey, watchToEnd } from './support.ts';

const body = (prompt: string) => ({ prompt, provider: 'openai', model: 'gpt-local', language: 'python' });

async function finishedTask(prompt = `A-SECRET-PROMPT-${crypto.randomUUID()}`) {
  const owner = await registerUser();
  const key = freshKey('openai');
  await storeKey(owner, 'openai', key);
  await script(key, programReply('print("A-SECRET-OUTPUT")'));
  const accepted = await startTask(owner, body(prompt));
  const frames = await watchToEnd(accepted.streamUrl);
  return { owner, prompt, id: accepted.id, runId: frames.find((f) => f.type === 'exit')?.runId as string };
}

describe('tasks: tenancy', { timeout: 60_000 }, () => {
  it('another user cannot read, list, stream or delete the task', async () => {
    const a = await finishedTask();
    const b = await registerUser();
    for (const [method, path] of [
      ['GET', `/v1/tasks/${a.id}`],
      ['DELETE', `/v1/tasks/${a.id}`],
      ['POST', `/v1/tasks/${a.id}/stream-ticket`],
    ] as const) {
      const res = await worker(path, { method, headers: bearer(b) });
      const text = await res.clone().text();
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await errorOf(res)).code).toBe('not_found');
      expect(text).not.toContain(a.prompt);
    }
    const list = await worker('/v1/tasks', { headers: bearer(b) });
    expect(((await list.json()) as { tasks: unknown[] }).tasks).toEqual([]);
    // The task's run is A's too.
    expect((await worker(`/v1/runs/${a.runId}`, { headers: bearer(b) })).status).toBe(404);
    // Untouched.
    const row = await env.DB.prepare('SELECT status FROM tasks WHERE id = ?').bind(a.id).first();
    expect(row).toEqual({ status: 'succeeded' });
  });

  it('the owner lists it (without the prompt), then deletes it with its runs', async () => {
    const a = await finishedTask();
    const list = (await (await worker('/v1/tasks', { headers: bearer(a.owner) })).json()) as {
      tasks: Record<string, unknown>[];
    };
    expect(list.tasks.map((t) => t.id)).toEqual([a.id]);
    expect(list.tasks[0]).not.toHaveProperty('prompt');
    expect(list.tasks[0]).toMatchObject({ status: 'succeeded', provider: 'openai', model: 'gpt-local' });

    const res = await worker(`/v1/tasks/${a.id}`, { method: 'DELETE', headers: bearer(a.owner) });
    expect(res.status).toBe(204);
    expect((await getTask(a.owner, a.id)).status).toBe(404);
    expect((await worker(`/v1/runs/${a.runId}`, { headers: bearer(a.owner) })).status).toBe(404);
    const left = await env.DB.prepare('SELECT count(*) AS n FROM tasks WHERE prompt = ?')
      .bind(a.prompt)
      .first();
    expect(left).toEqual({ n: 0 });
  });

  it('a used or made-up stream ticket does not open the stream', async () => {
    const a = await finishedTask();
    const forged = `rt_${'A'.repeat(43)}`;
    const res = await worker(`/v1/tasks/${a.id}/stream?ticket=${forged}`, {
      headers: { Upgrade: 'websocket' },
    });
    expect(res.status).toBe(401);
  });
});

describe('tasks: API keys', { timeout: 60_000 }, () => {
  it("an API key without tasks:write is refused; with it, the task uses its creator's provider key", async () => {
    const t = await tenant();
    const key = freshKey('openai');
    await storeKey(t.user, 'openai', key);
    const runsOnly = await mintApiKey(t, { scopes: ['runs:write'] });
    const refused = await postTask(runsOnly.key, body('p'));
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe('insufficient_scope');

    const tasksKey = await mintApiKey(t, { scopes: ['tasks:write', 'tasks:read'] });
    await script(key, programReply('print(1)'));
    const res = await postTask(tasksKey.key, body('p'));
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { id: string; streamUrl: string };
    await watchToEnd(accepted.streamUrl);
    // The creator's key is what the provider received.
    expect((await received(key))[0]?.headers.authorization).toBe(`Bearer ${key}`);
    const read = await worker(`/v1/tasks/${accepted.id}`, { headers: bearer(tasksKey.key) });
    expect(read.status).toBe(200);
    // A tasks key cannot create runs.
    const run = await worker(
      '/v1/runs',
      jsonInit('POST', { language: 'python', code: 'print(1)' }, bearer(tasksKey.key)),
    );
    expect(run.status).toBe(403);
  });
});
