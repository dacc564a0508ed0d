import { describe, expect, it } from 'vitest';
import { errorOf, expectSecurityHeaders, fetchApp, fetchWorker } from '../helpers.ts';

const ALLOWED = 'http://127.0.0.1:8787'; // from wrangler.toml's ALLOWED_ORIGINS
const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
];

function corsHeadersOf(res: Response): string[] {
  return CORS_HEADERS.filter((h) => res.headers.has(h));
}

describe('CORS allowlist', () => {
  it('gives an allowed origin its exact origin with credentials', async () => {
    const res = await fetchWorker('/healthz', { headers: { Origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('gives a disallowed origin no CORS headers at all', async () => {
    for (const origin of [
      'https://evil.example',
      'http://127.0.0.1:8788',
      'http://127.0.0.1:8787.evil.example',
    ]) {
      const res = await fetchWorker('/healthz', { headers: { Origin: origin } });
      expect(res.status).toBe(200);
      expect(corsHeadersOf(res)).toEqual([]);
    }
  });

  it('gives the null origin no CORS headers', async () => {
    const res = await fetchWorker('/healthz', { headers: { Origin: 'null' } });
    expect(corsHeadersOf(res)).toEqual([]);
  });

  it('never sends a wildcard', async () => {
    const res = await fetchWorker('/healthz', { headers: { Origin: ALLOWED } });
    expect(res.headers.get('access-control-allow-origin')).not.toBe('*');
  });

  it('answers a preflight from an allowed origin, allowing only known request headers', async () => {
    const res = await fetchWorker('/v1/runs', {
      method: 'OPTIONS',
      headers: {
        Origin: ALLOWED,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'Authorization, Content-Type, X-Evil',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expectSecurityHeaders(res);
  });

  it('lets an allowed origin send Idempotency-Key, PATCH, and read Idempotent-Replayed (issue 13)', async () => {
    const res = await fetchWorker('/v1/tasks', {
      method: 'OPTIONS',
      headers: {
        Origin: ALLOWED,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'Authorization, Content-Type, Idempotency-Key',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, idempotency-key',
    );
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
    const plain = await fetchWorker('/healthz', { headers: { Origin: ALLOWED } });
    expect(plain.headers.get('access-control-expose-headers')).toContain('Idempotent-Replayed');
  });

  it('refuses a preflight from a disallowed or null origin, without CORS headers', async () => {
    for (const origin of ['https://evil.example', 'null']) {
      const res = await fetchWorker('/v1/runs', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
      expect(res.status).toBe(403);
      expect(corsHeadersOf(res)).toEqual([]);
      expect((await errorOf(res)).code).toBe('origin_not_allowed');
    }
  });

  it('puts CORS headers on error responses for allowed origins (so the browser can read the error)', async () => {
    const res = await fetchWorker('/nope', { headers: { Origin: ALLOWED } });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('takes the allowlist from configuration', async () => {
    const res = await fetchApp(
      'http://127.0.0.1/healthz',
      { headers: { Origin: 'https://app.example.com' } },
      {
        ALLOWED_ORIGINS: 'https://app.example.com, https://console.example.com',
      },
    );
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('rejects a configured allowlist that is not exact origins', async () => {
    for (const bad of ['*', 'null', 'https://app.example.com/', 'app.example.com']) {
      const res = await fetchApp('http://127.0.0.1/healthz', {}, { ALLOWED_ORIGINS: bad });
      expect(res.status).toBe(500);
      expect((await errorOf(res)).code).toBe('server_misconfigured');
    }
  });
});
