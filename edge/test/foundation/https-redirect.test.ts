import { describe, expect, it } from 'vitest';
import { fetchApp } from '../helpers.ts';

describe('HTTPS only', () => {
  it('redirects plain HTTP on a public host with 301, keeping path and query', async () => {
    const res = await fetchApp('http://api.example.com:8080/v1/runs?status=failed&x=%2F', {
      redirect: 'manual',
    });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('https://api.example.com/v1/runs?status=failed&x=%2F');
  });

  it('redirects every method, before routing or authentication', async () => {
    const res = await fetchApp('http://api.example.com/v1/anything', { method: 'POST', body: '{}' });
    expect(res.status).toBe(301);
  });

  it('serves HTTPS requests', async () => {
    expect((await fetchApp('https://api.example.com/healthz')).status).toBe(200);
  });

  it.each(['127.0.0.1', 'localhost', '127.1.2.3', '[::1]'])(
    'exempts loopback host %s in local development',
    async (host) => {
      expect((await fetchApp(`http://${host}:8787/healthz`)).status).toBe(200);
    },
  );

  it('does not exempt loopback when the exemption is turned off', async () => {
    const res = await fetchApp('http://127.0.0.1:8787/healthz', {}, { HTTP_LOOPBACK_ALLOWED: 'false' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('https://127.0.0.1/healthz');
  });

  it('can be turned off by configuration', async () => {
    expect((await fetchApp('http://api.example.com/healthz', {}, { HTTPS_ONLY: 'false' })).status).toBe(200);
  });

  it('does not treat a look-alike host as loopback', async () => {
    expect((await fetchApp('http://127.0.0.1.example.com/healthz')).status).toBe(301);
    expect((await fetchApp('http://localhost.example.com/healthz')).status).toBe(301);
  });
});
