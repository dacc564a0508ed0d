/**
 * @airlock/client against the running stack (issue 17): its operations exist in the served OpenAPI
 * document, every method works over the wire, and start() survives a socket dropped mid-stream by
 * reconnecting from the last seq with a fresh ticket.
 */
import { randomUUID } from 'node:crypto';
import { AirlockClient, AirlockError, type Frame, OPERATIONS } from '@airlock/client';
import { beforeAll, describe, expect, inject, it } from 'vitest';

const { edgeUrl } = inject('system');

const ticker = (n: number, gap: number) =>
  `import time\nfor i in range(${n}):\n    print(f"line {i}", flush=True)\n    time.sleep(${gap})\n`;

let user: AirlockClient;
let keyClient: AirlockClient;

beforeAll(async () => {
  user = new AirlockClient({ baseUrl: edgeUrl });
  await user.register(`client-${randomUUID()}@example.test`, 'correct horse battery staple 42');
  const key = await user.createKey({ name: 'client test', scopes: ['runs:write', 'runs:read'] });
  keyClient = new AirlockClient({ baseUrl: edgeUrl, apiKey: key.key });
});

function expectInOrder(frames: Frame[]) {
  expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
  expect(frames.at(-1)?.type).toBe('exit');
}

describe('@airlock/client', () => {
  it('calls only operations the served OpenAPI document has', async () => {
    const doc = (await (await fetch(`${edgeUrl}/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const missing = Object.entries(OPERATIONS)
      .filter(([, [method, path]]) => doc.paths[path]?.[method.toLowerCase()] === undefined)
      .map(([name, [method, path]]) => `${name}: ${method} ${path}`);
    expect(missing).toEqual([]);
  });

  it('auth and keys: me, list, create, revoke; a refresh renews the session', async () => {
    const me = await user.me();
    expect(me.email).toMatch(/@example\.test$/);
    const created = await user.createKey({ name: 'temporary', scopes: ['runs:read'] });
    expect(created.key).toMatch(/^ak_/);
    expect((await user.listKeys()).map((k) => k.id)).toContain(created.id);
    await user.revokeKey(created.id);
    const reader = new AirlockClient({ baseUrl: edgeUrl, apiKey: created.key });
    await expect(reader.runtimes()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    const renewed = await user.refresh();
    expect(renewed.accessToken).toBeTruthy();
    expect((await user.me()).id).toBe(me.id);
  });

  it('runtimes and run(): a finished run, in history, readable by id; errors are AirlockError', async () => {
    const { runtimes } = await keyClient.runtimes();
    expect(runtimes.map((r) => r.language)).toContain('python');
    const run = await keyClient.run({ language: 'python', code: 'print(6 * 7)' });
    expect(run).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: '42\n' });
    expect((await keyClient.getRun(run.id)).stdout).toBe('42\n');
    expect((await keyClient.listRuns({ limit: 5 })).runs.map((r) => r.id)).toContain(run.id);
    const missing = await keyClient.getRun(randomUUID()).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(AirlockError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    await expect(keyClient.listKeys()).rejects.toMatchObject({ status: 403 });
  });

  it('start(): the frames in order, then result()', async () => {
    const handle = await keyClient.start({ language: 'python', code: ticker(3, 0.05) });
    const frames: Frame[] = [];
    for await (const frame of handle) frames.push(frame);
    expectInOrder(frames);
    const out = frames.flatMap((f) => (f.type === 'stdout' ? [f.data] : [])).join('');
    expect(out).toBe('line 0\nline 1\nline 2\n');
    expect((await handle.result()).status).toBe('succeeded');
  });

  it('start(): a socket dropped mid-stream is reopened from the last seq, nothing lost or repeated', async () => {
    const opened: string[] = [];
    // The first socket closes itself as soon as "line 1" arrives: the run is still printing.
    class DroppingSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        opened.push(url);
        if (opened.length === 1) {
          this.addEventListener('message', (event) => {
            if (String(event.data).includes('line 1')) this.close();
          });
        }
      }
    }
    const client = new AirlockClient({
      baseUrl: edgeUrl,
      apiKey: (await user.createKey({ name: 'drop', scopes: ['runs:write', 'runs:read'] })).key,
      WebSocket: DroppingSocket,
    });
    const handle = await client.start({ language: 'python', code: ticker(6, 0.3) });
    const frames: Frame[] = [];
    for await (const frame of handle) frames.push(frame);
    expectInOrder(frames);
    const out = frames.flatMap((f) => (f.type === 'stdout' ? [f.data] : [])).join('');
    expect(out).toBe([0, 1, 2, 3, 4, 5].map((i) => `line ${i}\n`).join(''));
    expect(opened).toHaveLength(2);
    const line1 = frames.find((f) => f.type === 'stdout' && f.data.includes('line 1'));
    expect(opened[1]).toContain(`from=${line1?.seq}`);
    const last = frames.at(-1);
    expect(last?.type === 'exit' && last.result.status).toBe('succeeded');
  });

  it('cancel(): a running program is stopped, its result says cancelled', async () => {
    const handle = await keyClient.start({ language: 'python', code: ticker(100, 0.2) });
    let last: Frame | undefined;
    for await (const frame of handle) {
      // Cancelled at its first line; the stream goes on to the exit frame the cancel brings.
      if (frame.type === 'stdout' && last?.type !== 'stdout') await handle.cancel();
      last = frame;
    }
    expect(last?.type === 'exit' && last.result.status).toBe('cancelled');
    expect((await handle.result()).status).toBe('cancelled');
  });

  it('login() and logout(): the session ends, its refresh token no longer works', async () => {
    const email = `logout-${randomUUID()}@example.test`;
    await new AirlockClient({ baseUrl: edgeUrl }).register(email, 'correct horse battery staple 42');
    const session = new AirlockClient({ baseUrl: edgeUrl });
    const { refreshToken } = await session.login(email, 'correct horse battery staple 42');
    expect((await session.me()).email).toBe(email);
    await session.logout();
    await expect(session.refresh(refreshToken)).rejects.toMatchObject({ status: 401 });
  });
});
