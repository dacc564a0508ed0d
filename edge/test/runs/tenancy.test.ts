/**
 * Tenant boundaries of runs (issue 5; OWASP ASVS 4.0.3 V4.2.1, IDOR): another user's run id is a 404
 * on every route (read, list, cancel, stream ticket), and the stream itself opens only with a fresh
 * ticket of the owner. API keys act within their scopes.
 */
import { describe, expect, it } from 'vitest';
import { jsonInit } from '../helpers.ts';
import {
  bearer,
  freshStreamUrl,
  type RunView,
  registerUser,
  runAndWait,
  runAsync,
  StreamRefused,
  watch,
  worker,
} from './support.ts';

async function refusal(url: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const w = await watch(url, headers);
    w.close();
    return 101;
  } catch (err) {
    if (err instanceof StreamRefused) return err.status;
    throw err;
  }
}

describe('runs: tenant boundaries', { timeout: 60_000 }, () => {
  it('another user cannot read, list, cancel or stream the run', async () => {
    const owner = await registerUser();
    const other = await registerUser();
    const run = await runAndWait(owner, { language: 'python', code: 'print("mine")' });
    const pending = await runAsync(owner, { language: 'python', code: 'import time\ntime.sleep(2)' });

    for (const id of [run.id, pending.id]) {
      expect((await worker(`/v1/runs/${id}`, { headers: bearer(other) })).status).toBe(404);
      expect((await worker(`/v1/runs/${id}/cancel`, { method: 'POST', headers: bearer(other) })).status).toBe(
        404,
      );
      expect(
        (await worker(`/v1/runs/${id}/stream-ticket`, { method: 'POST', headers: bearer(other) })).status,
      ).toBe(404);
    }
    const list = (await (await worker('/v1/runs', { headers: bearer(other) })).json()) as { runs: RunView[] };
    expect(list.runs).toEqual([]);
    // A made-up ticket opens nothing; the owner's run is unaffected by the attempts.
    expect(
      await refusal(`ws://127.0.0.1:8787/v1/runs/${pending.id}/stream?ticket=rt_${'A'.repeat(43)}`),
    ).toBe(401);
    const mine = (await (await worker(`/v1/runs/${run.id}`, { headers: bearer(owner) })).json()) as RunView;
    expect(mine.stdout).toBe('mine\n');
    expect((await worker(`/v1/runs/${run.id}`)).status).toBe(401);
  });

  it('a stream ticket is single-use; Origin is checked; an access token is no ticket', async () => {
    const owner = await registerUser();
    const accepted = await runAsync(owner, { language: 'python', code: 'print(1)' });
    const first = await watch(accepted.streamUrl);
    await first.closed;
    expect(await refusal(accepted.streamUrl)).toBe(401);

    const url = await freshStreamUrl(owner, accepted.id);
    expect(await refusal(url, { Origin: 'https://evil.example' })).toBe(403);
    // The refused handshake did not spend the ticket, and an allowed origin passes.
    expect(await refusal(url, { Origin: 'http://127.0.0.1:8787' })).toBe(101);

    const withToken = `ws://127.0.0.1:8787/v1/runs/${accepted.id}/stream?access_token=${owner.accessToken}`;
    expect(await refusal(withToken)).toBe(401);
    const plain = await worker(`/v1/runs/${accepted.id}/stream?ticket=x`);
    expect(plain.status).toBe(426);
  });

  it('API keys act within their scopes: runs:read cannot create, runs:write can', async () => {
    const owner = await registerUser();
    const mint = async (scopes: string[]) => {
      const res = await worker(
        '/v1/api-keys',
        jsonInit('POST', { name: scopes.join(' '), scopes }, bearer(owner)),
      );
      expect(res.status).toBe(201);
      return ((await res.json()) as { key: string }).key;
    };
    const reader = await mint(['runs:read']);
    const writer = await mint(['runs:write', 'runs:read']);
    const denied = await worker(
      '/v1/runs',
      jsonInit('POST', { language: 'python', code: 'print(1)', wait: true }, bearer(reader)),
    );
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');

    const ok = await worker(
      '/v1/runs',
      jsonInit('POST', { language: 'python', code: 'print(7)', wait: true }, bearer(writer)),
    );
    expect(ok.status).toBe(200);
    const run = (await ok.json()) as RunView;
    expect(run.stdout).toBe('7\n');
    const read = await worker(`/v1/runs/${run.id}`, { headers: bearer(reader) });
    expect(read.status).toBe(200);
  });
});
