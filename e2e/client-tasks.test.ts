/**
 * @airlock/client's tasks against the running stack (issues 13 and 17), with a local OpenAI-compatible
 * provider (support/openai-server.ts) as the caller's model: create streams the model's tokens, its
 * program and the run's frames in seq order and ends with `end`; get, list, stream (of a task already
 * created) and delete; a socket dropped mid-stream is reopened from the last seq; a provider's 429
 * reaches the caller with its Retry-After.
 */
import { randomUUID } from 'node:crypto';
import { AirlockClient, AirlockError, type TaskFrame } from '@airlock/client';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  freshProviderKey,
  programReply,
  receivedRequests,
  type ScriptedReply,
  scriptReplies,
} from './support/openai-server.ts';

const { edgeUrl, openaiControlUrl } = inject('system');

const MODEL = 'local-coder';
const request = (prompt: string) =>
  ({ prompt, provider: 'openai', model: MODEL, language: 'python' }) as const;

let user: AirlockClient;
let providerKey: string;
let apiKey: string;

beforeAll(async () => {
  user = new AirlockClient({ baseUrl: edgeUrl });
  await user.register(`tasks-${randomUUID()}@example.test`, 'correct horse battery staple 42');
  providerKey = freshProviderKey();
  await user.putProviderKey('openai', providerKey);
  apiKey = (await user.createKey({ name: 'tasks', scopes: ['tasks:write', 'tasks:read'] })).key;
});

const script = (...replies: ScriptedReply[]) => scriptReplies(openaiControlUrl, providerKey, ...replies);
const stdoutOf = (frames: TaskFrame[]) =>
  frames.flatMap((f) => (f.type === 'stdout' ? [f.data] : [])).join('');

function expectWholeStream(frames: TaskFrame[]) {
  expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
  expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'succeeded', errorCode: null, attempts: 1 });
}

describe('@airlock/client tasks', () => {
  it('createTask(): tokens, program, run frames, end; getTask, listTasks, streamTask, deleteTask', async () => {
    const program = 'print("from the model", 6 * 7)';
    const reply = programReply(program);
    await script(reply);
    const client = new AirlockClient({ baseUrl: edgeUrl, apiKey });
    const handle = await client.createTask(request('print the answer'));
    const frames: TaskFrame[] = [];
    for await (const frame of handle) frames.push(frame);
    expectWholeStream(frames);

    // The model's text, token by token, as the provider streamed it.
    const tokens = frames.flatMap((f) => (f.type === 'token' ? [f.text] : []));
    expect(tokens.join('')).toBe(reply.kind === 'text' ? reply.chunks.join('') : '');
    const programFrame = frames.find((f) => f.type === 'program');
    expect(programFrame?.type === 'program' && programFrame.files[0]?.content).toContain(program);
    expect(stdoutOf(frames)).toBe('from the model 42\n');
    const exit = frames.find((f) => f.type === 'exit');
    expect(exit?.type === 'exit' && exit.result).toMatchObject({ status: 'succeeded', exitCode: 0 });
    // The prompt reached the provider with the caller's own key.
    const [sent] = await receivedRequests(openaiControlUrl, providerKey);
    expect(sent?.headers.authorization).toBe(`Bearer ${providerKey}`);
    expect(JSON.stringify(sent?.body)).toContain('print the answer');

    const task = await handle.result();
    expect(task).toMatchObject({
      id: handle.id,
      status: 'succeeded',
      model: MODEL,
      prompt: 'print the answer',
    });
    expect(task.runs.map((r) => r.stdout)).toEqual(['from the model 42\n']);
    expect(task.attempts[0]?.runId).toBe(task.runs[0]?.id);
    expect((await client.listTasks({ limit: 10 })).tasks.map((t) => t.id)).toContain(handle.id);

    // A finished task's stream, opened later with a fresh ticket, replays to its end.
    const replay: TaskFrame[] = [];
    for await (const frame of client.streamTask(handle.id)) replay.push(frame);
    expect(replay.at(-1)).toEqual(frames.at(-1));
    expect(stdoutOf(replay)).toBe(stdoutOf(frames));

    await client.deleteTask(handle.id);
    await expect(client.getTask(handle.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('a socket dropped mid-stream is reopened from the last seq, nothing lost or repeated', async () => {
    await script(programReply('print("resumed")'));
    const opened: string[] = [];
    let dropSeq = -1;
    // The first socket closes itself at the first token: the model is still streaming.
    class DroppingSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        opened.push(url);
        if (opened.length === 1) {
          this.addEventListener('message', (event) => {
            const frame = JSON.parse(String(event.data)) as TaskFrame;
            if (frame.type === 'token' && dropSeq < 0) {
              dropSeq = frame.seq;
              this.close();
            }
          });
        }
      }
    }
    const client = new AirlockClient({ baseUrl: edgeUrl, apiKey, WebSocket: DroppingSocket });
    const frames: TaskFrame[] = [];
    for await (const frame of await client.createTask(request('resume me'))) frames.push(frame);
    expectWholeStream(frames);
    expect(stdoutOf(frames)).toBe('resumed\n');
    expect(opened).toHaveLength(2);
    expect(opened[1]).toContain(`from=${dropSeq}`);
  });

  it("a provider's 429 is an AirlockError with the provider's Retry-After", async () => {
    await script({ kind: 'status', status: 429, retryAfter: '17' });
    const client = new AirlockClient({ baseUrl: edgeUrl, apiKey });
    const error = await client.createTask(request('too soon')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AirlockError);
    expect(error).toMatchObject({ status: 429, code: 'provider_rate_limited', retryAfterSeconds: 17 });
  });

  it('provider keys: listed by hint only; once deleted, a task is refused as provider_key_missing', async () => {
    const keys = await user.listProviderKeys();
    expect(keys.map((k) => k.provider)).toEqual(['openai']);
    expect(JSON.stringify(keys)).not.toContain(providerKey);
    await user.deleteProviderKey('openai');
    expect(await user.listProviderKeys()).toEqual([]);
    const client = new AirlockClient({ baseUrl: edgeUrl, apiKey });
    await expect(client.createTask(request('no key'))).rejects.toMatchObject({
      status: 400,
      code: 'provider_key_missing',
    });
  });
});
