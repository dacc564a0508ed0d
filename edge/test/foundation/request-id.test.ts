import { describe, expect, it } from 'vitest';
import { errorOf, fetchAppLogged, fetchWorker } from '../helpers.ts';

describe('request id', () => {
  it('is on every response and matches the error body', async () => {
    const ok = await fetchWorker('/healthz');
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const notFound = await fetchWorker('/missing');
    const error = await errorOf(notFound);
    expect(error.requestId).toBe(notFound.headers.get('x-request-id'));
  });

  it('is unique per request', async () => {
    const a = await fetchWorker('/healthz');
    const b = await fetchWorker('/healthz');
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('echoes a well-formed caller id and replaces a malformed one', async () => {
    const echoed = await fetchWorker('/healthz', { headers: { 'X-Request-Id': 'trace-1234abcd' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-1234abcd');
    const replaced = await fetchWorker('/healthz', { headers: { 'X-Request-Id': 'bad id {"level":"x"}' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is carried by every log line of the request', async () => {
    const { res, logs } = await fetchAppLogged('http://127.0.0.1/.env');
    const id = res.headers.get('x-request-id');
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(JSON.parse(line).requestId).toBe(id);
  });
});
