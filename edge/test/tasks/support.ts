/**
 * Task-test helpers (inside workerd): store a provider key, create tasks through the real Worker (or a
 * fresh app with overrides), watch a task's stream, read its history. The stream watcher is the run
 * tests' (same tickets, same frames envelope).
 */
import { fetchApp, jsonInit, type RegisteredUser } from '../helpers.ts';
import { BASE, bearer, type Overrides, watch, worker } from '../runs/support.ts';
import { freshKey, programReply, script } from './providers-script.ts';

export { registerUser } from '../runs/support.ts';

export interface TaskFrame {
  type: string;
  seq: number;
  taskId: string;
  attempt?: number;
  text?: string;
  files?: { name: string; content: string }[];
  runId?: string;
  data?: string;
  result?: { status: string; exitCode: number | null; stdout: string; stderr: string };
  status?: string;
  errorCode?: string | null;
  attempts?: number;
  inputTokens?: number;
  outputTokens?: number;
}

export async function storeKey(user: RegisteredUser | string, provider: string, key: string): Promise<void> {
  const res = await worker(`/v1/provider-keys/${provider}`, jsonInit('PUT', { key }, bearer(user)));
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`store key: ${res.status} ${await res.text()}`);
}

export function postTask(
  user: RegisteredUser | string,
  body: unknown,
  overrides?: Overrides,
): Promise<Response> {
  const init = jsonInit('POST', body, bearer(user));
  return overrides
    ? fetchApp(`${BASE}/v1/tasks`, init, overrides as Partial<Env>)
    : worker('/v1/tasks', init);
}

export interface AcceptedTask {
  id: string;
  status: 'running';
  streamUrl: string;
}

export async function startTask(user: RegisteredUser, body: Record<string, unknown>): Promise<AcceptedTask> {
  const res = await postTask(user, body);
  if (res.status !== 202) throw new Error(`task: ${res.status} ${await res.text()}`);
  return (await res.json()) as AcceptedTask;
}

/** Watches the task's stream until the server closes it; returns every frame. */
export async function watchToEnd(streamUrl: string): Promise<TaskFrame[]> {
  const watcher = await watch(streamUrl);
  await watcher.closed;
  return watcher.frames as unknown as TaskFrame[];
}

export const getTask = (user: RegisteredUser, id: string) =>
  worker(`/v1/tasks/${id}`, { headers: bearer(user) });

export const ofType = (frames: TaskFrame[], type: string) => frames.filter((f) => f.type === type);

/**
 * A whole task for the usage and billing tests: a fresh OpenAI key whose scripted model writes
 * `print(42)`, created as `user` (in `orgId` when given) and watched to its end.
 */
export async function scriptedTask(
  user: RegisteredUser | string,
  orgId?: string,
): Promise<{ id: string; end: TaskFrame | undefined }> {
  const key = freshKey('openai');
  await storeKey(user, 'openai', key);
  await script(key, programReply('print(42)'));
  const res = await worker(
    '/v1/tasks',
    jsonInit(
      'POST',
      { prompt: 'p', provider: 'openai', model: 'gpt-local', language: 'python' },
      { ...bearer(user), ...(orgId ? { 'X-Org-Id': orgId } : {}) },
    ),
  );
  if (res.status !== 202) throw new Error(`task: ${res.status} ${await res.text()}`);
  const accepted = (await res.json()) as AcceptedTask;
  return { id: accepted.id, end: (await watchToEnd(accepted.streamUrl)).at(-1) };
}
