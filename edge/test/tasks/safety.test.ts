/**
 * The task safety rules (issue 13), each with a test that fails if the control goes:
 * provider failures map to their codes without the provider's body (which echoes the key); a user
 * without a key gets a clear 400; an unlisted model or an oversized prompt is refused before any
 * provider call; the key never reaches a log line, an error body, a frame or D1 in clear; prompt and
 * model output never reach the logs.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorOf } from '../helpers.ts';
import { freshKey, programReply, received, script } from './providers-script.ts';
import { ofType, postTask, registerUser, startTask, storeKey, watchToEnd } from './support.ts';

const task = (extra: Record<string, unknown> = {}) => ({
  prompt: 'Print hello.',
  provider: 'openai',
  model: 'gpt-local',
  language: 'python',
  ...extra,
});

/** Every row of every table, as text: the haystack for "never in the database in clear". */
async function wholeDatabase(): Promise<string> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'",
  ).all<{ name: string }>();
  const out: unknown[] = [];
  for (const { name } of tables.results)
    out.push((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results);
  return JSON.stringify(out);
}

describe('tasks: provider failures', { timeout: 60_000 }, () => {
  it('an invalid key (401) → 400 provider_auth_failed, without the provider body or the key', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    await script(key, { kind: 'status', status: 401 });
    const res = await postTask(user, task());
    const text = await res.clone().text();
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('provider_auth_failed');
    expect(text).not.toContain(key);
    expect(text).not.toContain('Incorrect API key');
  });

  it.each(['anthropic', 'google'] as const)('%s: 401 → provider_auth_failed', async (provider) => {
    const user = await registerUser();
    const key = freshKey(provider);
    await storeKey(user, provider, key);
    await script(key, { kind: 'status', status: 401 });
    const model = provider === 'anthropic' ? 'claude-local-1' : 'gemini-local-1';
    const res = await postTask(user, task({ provider, model }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('provider_auth_failed');
  });

  it('quota (429 with Retry-After) → 429 provider_rate_limited with the provider Retry-After', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    await script(key, { kind: 'status', status: 429, retryAfter: '17' });
    const res = await postTask(user, task());
    const text = await res.clone().text();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('17');
    expect((await errorOf(res)).code).toBe('provider_rate_limited');
    expect(text).not.toContain(key);
    expect(text).not.toContain('Rate limit reached');
  });

  it('a provider that stalls past the task timeout → 504 provider_timeout', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    await script(key, { kind: 'stall' });
    const res = await postTask(user, task(), { TASK_TIMEOUT_MS: '1000' } as Partial<Env>);
    expect(res.status).toBe(504);
    expect((await errorOf(res)).code).toBe('provider_timeout');
  });

  it('a failure on the fix attempt ends the stream with its code', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    await script(key, programReply('raise SystemExit(2)'), { kind: 'status', status: 429, retryAfter: '5' });
    const accepted = await startTask(user, task({ maxAttempts: 2 }));
    const frames = await watchToEnd(accepted.streamUrl);
    expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'error', errorCode: 'provider_rate_limited' });
    expect(JSON.stringify(frames)).not.toContain(key);
  });
});

describe('tasks: refused before any provider call', () => {
  it('a user without a key for the provider gets a clear 400 provider_key_missing', async () => {
    const user = await registerUser();
    const res = await postTask(user, task({ provider: 'anthropic', model: 'claude-local-1' }));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('provider_key_missing');
    expect(error.message).toContain('PUT /v1/provider-keys/anthropic');
  });

  it('an unlisted model → 400 unknown_model, and the provider hears nothing', async () => {
    const user = await registerUser();
    const key = freshKey('anthropic');
    await storeKey(user, 'anthropic', key);
    await script(key, programReply('print(1)'));
    const res = await postTask(user, task({ provider: 'anthropic', model: 'claude-not-offered' }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('unknown_model');
    expect(await received(key)).toEqual([]);
  });

  it('a prompt over the configured size → 400 naming prompt, and the provider hears nothing', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    const res = await postTask(user, task({ prompt: 'x'.repeat(65) }), {
      TASK_MAX_PROMPT_BYTES: '64',
    } as Partial<Env>);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).fields).toEqual([{ field: 'prompt', problem: 'at most 64 bytes' }]);
    expect(await received(key)).toEqual([]);
  });

  it('more attempts than configured → 400 naming maxAttempts', async () => {
    const user = await registerUser();
    const res = await postTask(user, task({ maxAttempts: 3 }), { TASK_MAX_ATTEMPTS: '2' } as Partial<Env>);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).fields?.[0]?.field).toBe('maxAttempts');
  });

  it('task creation is rate limited per user (RATE_LIMIT_TASKS)', async () => {
    const user = await registerUser();
    const overrides = { RATE_LIMIT_TASKS: '1/1m' } as Partial<Env>;
    // Both refused for the missing key, but only after the rate limit let them through (or not).
    expect((await postTask(user, task(), overrides)).status).toBe(400);
    const res = await postTask(user, task(), overrides);
    expect(res.status).toBe(429);
    expect((await errorOf(res)).code).toBe('rate_limited');
  });
});

describe('tasks: secrets and user content stay out of logs, frames and D1', { timeout: 60_000 }, () => {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it('a task that succeeds: no key, prompt or model output in any log line; no key in frames or D1', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    const marker = crypto.randomUUID();
    const prompt = `PROMPT-${marker}`;
    const output = `OUTPUT-${marker}`;
    await storeKey(user, 'openai', key);
    await script(key, programReply(`print("${output}")`));
    const accepted = await startTask(user, task({ prompt }));
    const frames = await watchToEnd(accepted.streamUrl);
    expect(
      ofType(frames, 'stdout')
        .map((f) => f.data)
        .join(''),
    ).toBe(`${output}\n`);

    // The logs did see the task (so the capture works), but none of its content.
    expect(lines.some((l) => l.includes(accepted.id))).toBe(true);
    const logs = lines.join('\n');
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(marker);
    expect(JSON.stringify(frames)).not.toContain(key);
    const db = await wholeDatabase();
    expect(db).not.toContain(key);
    // The prompt is kept for the user's history (and only there).
    expect(db).toContain(prompt);
  });

  it('a task the provider refuses: the echoed key and body never reach a log line', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    await script(key, { kind: 'status', status: 401 });
    const prompt = `PROMPT-${crypto.randomUUID()}`;
    const res = await postTask(user, task({ prompt }));
    expect(res.status).toBe(400);
    expect(lines.some((l) => l.includes('model call failed'))).toBe(true);
    const logs = lines.join('\n');
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(prompt);
    expect(logs).not.toContain('Incorrect API key');
  });
});
