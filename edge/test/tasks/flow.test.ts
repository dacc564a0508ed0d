/**
 * AI tasks end to end (issue 13): the Worker in workerd, the local provider servers, a real sandbox
 * host on the real Docker engine. The model's tokens stream in order, the program it wrote runs in a
 * sandbox, a failing first program is fixed from its stderr on the second attempt, and history
 * holds the prompt, the programs, the runs, token usage and provider latency.
 */
import { describe, expect, it } from 'vitest';
import { bearer, worker } from '../runs/support.ts';
import { freshKey, programReply, received, script } from './providers-script.ts';
import { getTask, ofType, registerUser, startTask, storeKey, watchToEnd } from './support.ts';

const MODELS = {
  openai: 'gpt-local',
  anthropic: 'claude-local-1',
  google: 'gemini-local-1',
  openrouter: 'vendor/model-local-1',
} as const;

describe('tasks: the main path', { timeout: 60_000 }, () => {
  it('tokens stream in order, then the program, then its run, then the end; history has it all', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    const reply = programReply('print(6 * 7)');
    await script(key, reply);

    const accepted = await startTask(user, {
      prompt: 'Print the answer.',
      provider: 'openai',
      model: MODELS.openai,
      language: 'python',
    });
    expect(accepted.streamUrl).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:8787/v1/tasks/${accepted.id}/stream\\?ticket=rt_`),
    );
    const frames = await watchToEnd(accepted.streamUrl);

    const seqs = frames.map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(frames.every((f) => f.taskId === accepted.id)).toBe(true);
    // Every token, in the order the provider sent them.
    expect(ofType(frames, 'token').map((f) => f.text)).toEqual(reply.kind === 'text' ? reply.chunks : []);
    const types = frames.map((f) => f.type);
    expect(types.lastIndexOf('token')).toBeLessThan(types.indexOf('program'));
    expect(types.indexOf('program')).toBeLessThan(types.indexOf('started'));
    expect(ofType(frames, 'program')[0]?.files).toEqual([{ name: 'main.py', content: 'print(6 * 7)' }]);
    expect(
      ofType(frames, 'stdout')
        .map((f) => f.data)
        .join(''),
    ).toBe('42\n');
    const exit = ofType(frames, 'exit')[0];
    expect(exit?.result).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: '42\n' });
    expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'succeeded', errorCode: null, attempts: 1 });

    const task = (await (await getTask(user, accepted.id)).json()) as Record<string, unknown>;
    expect(task).toMatchObject({
      id: accepted.id,
      provider: 'openai',
      model: MODELS.openai,
      language: 'python',
      prompt: 'Print the answer.',
      status: 'succeeded',
      usage: { inputTokens: 42, outputTokens: reply.kind === 'text' ? reply.chunks.length : 0 },
      attempts: [
        {
          attempt: 1,
          runId: exit?.runId,
          files: [{ name: 'main.py', content: 'print(6 * 7)' }],
          outcome: 'succeeded',
        },
      ],
      runs: [{ id: exit?.runId, status: 'succeeded', stdout: '42\n' }],
    });
    expect((task.providerLatencyMs as unknown[]).length).toBe(1);
    expect(typeof (task.providerLatencyMs as unknown[])[0]).toBe('number');

    // The model was asked for one fenced block in the language, with the user's prompt.
    const [call] = await received(key);
    const body = call?.body as {
      model: string;
      messages: { role: string; content: string }[];
      stream: boolean;
    };
    expect(body.model).toBe(MODELS.openai);
    expect(body.stream).toBe(true);
    expect(body.messages[0]).toMatchObject({ role: 'system' });
    expect(body.messages[0]?.content).toContain('fenced code block');
    expect(body.messages.at(-1)).toEqual({ role: 'user', content: 'Print the answer.' });
  });

  it('a failing first program is fixed on the second attempt from its stderr and exit status', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    await script(
      key,
      programReply('import sys\nprint("broken: no answer", file=sys.stderr)\nsys.exit(3)'),
      programReply('print("fixed")'),
    );
    const accepted = await startTask(user, {
      prompt: 'Print fixed.',
      provider: 'openai',
      model: MODELS.openai,
      language: 'python',
      maxAttempts: 2,
    });
    const frames = await watchToEnd(accepted.streamUrl);
    const exits = ofType(frames, 'exit');
    expect(exits.map((f) => [f.attempt, f.result?.status, f.result?.exitCode])).toEqual([
      [1, 'failed', 3],
      [2, 'succeeded', 0],
    ]);
    expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'succeeded', attempts: 2 });

    // The second call carried the first reply and the run's stderr and exit status.
    const calls = await received(key);
    expect(calls).toHaveLength(2);
    const messages =
      (calls[1]?.body as { messages: { role: string; content: string }[] } | undefined)?.messages ?? [];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages[3]?.content).toContain('broken: no answer');
    expect(messages[3]?.content).toContain('exited with status 3');

    const task = (await (await getTask(user, accepted.id)).json()) as {
      runs: { id: string; status: string }[];
    };
    expect(task.runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(task.runs.map((r) => r.id)).toEqual(exits.map((f) => f.runId));
  });

  it('with maxAttempts 1 a failing program ends the task failed, and the model is called once', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    await script(key, programReply('raise SystemExit(1)'), programReply('print("never asked")'));
    const accepted = await startTask(user, {
      prompt: 'p',
      provider: 'openai',
      model: MODELS.openai,
      language: 'python',
    });
    const frames = await watchToEnd(accepted.streamUrl);
    expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'failed', attempts: 1 });
    expect(await received(key)).toHaveLength(1);
  });

  it.each(['anthropic', 'google', 'openrouter'] as const)('%s: a task runs end to end', async (provider) => {
    const user = await registerUser();
    const key = freshKey(provider);
    await storeKey(user, provider, key);
    await script(key, programReply(`print("hello from ${provider}")`));
    const accepted = await startTask(user, {
      prompt: 'hello',
      provider,
      model: MODELS[provider],
      language: 'python',
    });
    const frames = await watchToEnd(accepted.streamUrl);
    expect(
      ofType(frames, 'stdout')
        .map((f) => f.data)
        .join(''),
    ).toBe(`hello from ${provider}\n`);
    expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });
  });

  it('a watcher after the end, with a fresh ticket and ?from=SEQ, gets exactly the frames after SEQ', async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    await script(key, programReply('print("again")'));
    const accepted = await startTask(user, {
      prompt: 'p',
      provider: 'openai',
      model: MODELS.openai,
      language: 'python',
    });
    const all = await watchToEnd(accepted.streamUrl);
    const cut = all[Math.floor(all.length / 2)]?.seq as number;

    const ticket = await worker(`/v1/tasks/${accepted.id}/stream-ticket`, {
      method: 'POST',
      headers: bearer(user),
    });
    expect(ticket.status).toBe(200);
    const { streamUrl } = (await ticket.json()) as { streamUrl: string };
    const rest = await watchToEnd(`${streamUrl}&from=${cut}`);
    expect(rest).toEqual(all.filter((f) => f.seq > cut));
    expect(rest.at(-1)?.type).toBe('end');
    // The first ticket was single-use.
    const reused = await worker(accepted.streamUrl.replace(/^ws/, 'http'), {
      headers: { Upgrade: 'websocket' },
    });
    expect(reused.status).toBe(401);
  });
});
