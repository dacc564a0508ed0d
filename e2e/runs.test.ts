/**
 * Black-box conformance of runs (issue 5): the edge on `wrangler dev` and a real sandbox host, driven
 * only over HTTP and a WebSocket, as a client on another machine would. Paths and shapes are the
 * DESIGN.md contract.
 */
import { describe, expect, inject, it } from 'vitest';
import { Client, openStream } from './support/client.ts';

const { edgeUrl } = inject('system');

describe('runs over the wire', () => {
  it('register → log in → run Python with wait → the result', async () => {
    const client = new Client(edgeUrl);
    await client.signUp();
    const res = await client.call('POST', '/v1/runs', {
      language: 'python',
      code: 'print("hello")',
      wait: true,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: 'hello\n', stderr: '' });
  });

  it('async run → stream over a WebSocket → frames in order → history', async () => {
    const client = new Client(edgeUrl);
    await client.signUp();
    const code = 'import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.1)\n';
    const created = await client.call('POST', '/v1/runs', { language: 'python', code });
    expect(created.status).toBe(202);
    expect(created.json.streamUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1\/runs\/[\w-]+\/stream\?ticket=/);

    const stream = await openStream(created.json.streamUrl);
    await stream.ended;
    stream.close();
    const seqs = stream.frames.map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(stream.frames[0]?.type).toBe('started');
    const out = stream.frames
      .filter((f) => f.type === 'stdout')
      .map((f) => f.data)
      .join('');
    expect(out).toBe('0\n1\n2\n');
    const exit = stream.frames.at(-1);
    expect(exit?.type).toBe('exit');

    const run = await client.call('GET', `/v1/runs/${created.json.id}`);
    expect(run.json).toMatchObject({
      status: 'succeeded',
      stdout: out,
      finishedAt: exit?.result?.finishedAt,
    });
    const list = await client.call('GET', '/v1/runs');
    expect(list.json.runs[0]).toMatchObject({ id: created.json.id, status: 'succeeded' });
    expect(list.json.runs[0].wallMs).toBeGreaterThan(0);

    // Reconnect after the end with a fresh ticket and ?from: only the frames after it.
    const ticket = await client.call('POST', `/v1/runs/${created.json.id}/stream-ticket`);
    const again = await openStream(`${ticket.json.streamUrl}&from=1`);
    await again.ended;
    again.close();
    expect(again.frames.map((f) => f.seq)).toEqual(seqs.slice(2));
    // The first ticket was single-use.
    await expect(openStream(created.json.streamUrl)).rejects.toMatchObject({ status: 401 });
  });

  it('another user gets 404 for the run, and a foreign Origin cannot open the stream', async () => {
    const owner = new Client(edgeUrl);
    await owner.signUp();
    const created = await owner.call('POST', '/v1/runs', { language: 'python', code: 'print(1)' });
    const other = new Client(edgeUrl);
    await other.signUp();
    expect((await other.call('GET', `/v1/runs/${created.json.id}`)).status).toBe(404);
    expect((await other.call('POST', `/v1/runs/${created.json.id}/stream-ticket`)).status).toBe(404);
    await expect(
      openStream(created.json.streamUrl, { Origin: 'https://evil.example' }),
    ).rejects.toMatchObject({
      status: 403,
    });
    const runtimes = await owner.call('GET', '/v1/runtimes');
    expect(runtimes.json.runtimes.map((r: { language: string }) => r.language)).toContain('python');
  });
});
