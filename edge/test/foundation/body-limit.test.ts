import { describe, expect, it } from 'vitest';
import { errorOf, expectSecurityHeaders, fetchApp, fetchWorker } from '../helpers.ts';

const LIMIT = 1024 * 1024; // BODY_LIMIT_BYTES in wrangler.toml

function streamOf(totalBytes: number, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      const n = Math.min(chunk, totalBytes - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(120));
    },
  });
}

describe('body limit', () => {
  it('refuses a declared Content-Length over the limit with 413', async () => {
    const res = await fetchWorker('/healthz', { method: 'POST', body: 'x'.repeat(LIMIT + 1) });
    expect(res.status).toBe(413);
    expectSecurityHeaders(res);
    expect((await errorOf(res)).code).toBe('payload_too_large');
  });

  it('refuses a streamed body without Content-Length once it passes the limit', async () => {
    const res = await fetchWorker('/healthz', {
      method: 'POST',
      body: streamOf(LIMIT + 10),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
  });

  it('counts the bytes even when Content-Length lies', async () => {
    const req = new Request('http://127.0.0.1/healthz', {
      method: 'POST',
      body: streamOf(LIMIT + 10),
      headers: { 'Content-Length': '10' },
      duplex: 'half',
    } as RequestInit);
    const res = await fetchApp(req.url, req);
    expect(res.status).toBe(413);
  });

  it('lets a body at the limit through (to routing)', async () => {
    const res = await fetchWorker('/healthz', { method: 'POST', body: 'x'.repeat(LIMIT) });
    expect(res.status).toBe(405);
  });

  it('takes the limit from configuration', async () => {
    const res = await fetchApp(
      'http://127.0.0.1/healthz',
      { method: 'POST', body: 'x'.repeat(101) },
      { BODY_LIMIT_BYTES: '100' },
    );
    expect(res.status).toBe(413);
  });
});
