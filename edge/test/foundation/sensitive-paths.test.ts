import { describe, expect, it } from 'vitest';
import { errorOf, expectSecurityHeaders, fetchAppLogged, fetchWorker } from '../helpers.ts';

const BLOCKED = [
  '/.env',
  '/.env.local',
  '/.env.production',
  '/.git',
  '/.git/config',
  '/.git/objects/ab/cdef',
  '/.htaccess',
  '/.htpasswd',
  '/.DS_Store',
  '/.dev.vars',
  '/wrangler.toml',
  '/v1/.env',
  '/static/.hidden/file',
  '/%2eenv',
  '/%2Egit/HEAD',
  '/v1/%2e%2fx',
  '/a/%E0%A4%A',
];

describe('sensitive paths', () => {
  it.each(BLOCKED)('%s answers the standard 404 before any route runs', async (path) => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await fetchWorker(path, { method });
      expect(res.status).toBe(404);
      expectSecurityHeaders(res);
      expect((await errorOf(res)).code).toBe('not_found');
    }
  });

  it('takes precedence over method-not-allowed', async () => {
    // /healthz/.. is normalized by URL parsing; a dot segment under a real route is still blocked.
    const res = await fetchWorker('/healthz/.git', { method: 'DELETE' });
    expect(res.status).toBe(404);
  });

  it('leaves /.well-known/ to the router (the block does not fire)', async () => {
    const wellKnown = await fetchAppLogged('http://127.0.0.1/.well-known/security.txt');
    expect(wellKnown.res.status).toBe(404);
    expect(wellKnown.logs.join('\n')).not.toContain('sensitive path blocked');

    const env = await fetchAppLogged('http://127.0.0.1/.env');
    expect(env.res.status).toBe(404);
    expect(env.logs.join('\n')).toContain('sensitive path blocked');
  });
});
