/**
 * GET /v1/tasks/models (issue 16: the console's model picker): exactly the providers the operator
 * configured (TASK_MODELS_* in vitest.config.mts), `*` as `anyModel`, and the limits in force. It is
 * not taken for a task id by GET /v1/tasks/{id}, and needs a caller allowed to read tasks.
 */
import { describe, expect, it } from 'vitest';
import { jsonInit } from '../helpers.ts';
import { bearer, worker } from '../runs/support.ts';
import { registerUser } from './support.ts';

describe('GET /v1/tasks/models', () => {
  it('lists the configured providers and models, and the task limits', async () => {
    const user = await registerUser();
    const res = await worker('/v1/tasks/models', { headers: bearer(user) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      providers: [
        { provider: 'openai', models: [], anyModel: true },
        { provider: 'anthropic', models: ['claude-local-1'], anyModel: false },
        { provider: 'openrouter', models: ['vendor/model-local-1'], anyModel: false },
        { provider: 'google', models: ['gemini-local-1'], anyModel: false },
      ],
      limits: { maxPromptBytes: 32768, maxAttempts: 3 },
    });
  });

  it('is for callers who may read tasks', async () => {
    expect((await worker('/v1/tasks/models')).status).toBe(401);
    const user = await registerUser();
    const minted = await worker(
      '/v1/api-keys',
      jsonInit('POST', { name: 'r', scopes: ['runs:read'] }, bearer(user)),
    );
    const { key } = (await minted.json()) as { key: string };
    expect((await worker('/v1/tasks/models', { headers: bearer(key) })).status).toBe(403);
  });
});
