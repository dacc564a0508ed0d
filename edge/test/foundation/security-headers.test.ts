import { describe, expect, it } from 'vitest';
import { errorOf, expectSecurityHeaders, fetchApp, fetchWorker } from '../helpers.ts';

// Seed 000 "Infrastructure & Network": strict headers on every response, errors and 404s included.
describe('security headers', () => {
  it('are on a 200', async () => {
    const res = await fetchWorker('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expectSecurityHeaders(res);
  });

  it('are on a 404 with the standard error body', async () => {
    const res = await fetchWorker('/no/such/route');
    expect(res.status).toBe(404);
    expectSecurityHeaders(res);
    expect((await errorOf(res)).code).toBe('not_found');
  });

  it('are on a 405 for a known path with another method, with Allow', async () => {
    const res = await fetchWorker('/healthz', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expectSecurityHeaders(res);
    expect((await errorOf(res)).code).toBe('method_not_allowed');
  });

  it('are on a 413', async () => {
    const res = await fetchWorker('/healthz', { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expectSecurityHeaders(res);
  });

  it('are on a 500 error (misconfiguration)', async () => {
    const res = await fetchApp('http://127.0.0.1/healthz', {}, { BODY_LIMIT_BYTES: 'lots' });
    expect(res.status).toBe(500);
    expectSecurityHeaders(res);
    const error = await errorOf(res);
    expect(error.code).toBe('server_misconfigured');
    expect(error.message).not.toContain('BODY_LIMIT_BYTES');
  });

  it('are on the HTTPS redirect', async () => {
    const res = await fetchApp('http://api.example.com/healthz');
    expect(res.status).toBe(301);
    expectSecurityHeaders(res);
  });
});
