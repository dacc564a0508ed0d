/**
 * The run-token signing key (SANDBOX_SIGNING_JWK) is configuration like the rest (issue 9): a bad or
 * missing key stops every request with 500 `server_misconfigured` and a log line naming the variable,
 * never its value, instead of failing inside a dispatch where it looked like an unreachable host.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseSigningJwk } from '../../src/domain/runs/config.ts';
import { errorOf, fetchAppLogged } from '../helpers.ts';

const MARKER = 'do-not-log-this-key-material';
const good = JSON.parse(env.SANDBOX_SIGNING_JWK) as Record<string, string>;
const HOSTS = JSON.stringify([{ id: 'h1', url: 'ws://127.0.0.1:9' }]);

async function healthz(vars: Record<string, string | undefined>) {
  return fetchAppLogged('http://127.0.0.1/healthz', {}, vars as unknown as Partial<Env>);
}

describe('SANDBOX_SIGNING_JWK validation (config)', () => {
  const bad: [string, string | undefined][] = [
    ['not JSON', `{${MARKER}`],
    ['a public key only (no d)', JSON.stringify({ ...good, d: undefined, note: MARKER })],
    ['not Ed25519', JSON.stringify({ ...good, crv: 'X25519', note: MARKER })],
    ['a short d', JSON.stringify({ ...good, d: 'c2hvcnQ', note: MARKER })],
    ['missing while hosts are configured', undefined],
  ];
  for (const [label, value] of bad) {
    it(`${label} → every request 500 server_misconfigured, logged by name without the value`, async () => {
      const { res, logs } = await healthz({ SANDBOX_SIGNING_JWK: value, SANDBOX_HOSTS: HOSTS });
      expect(res.status).toBe(500);
      expect((await errorOf(res)).code).toBe('server_misconfigured');
      const out = logs.join('\n');
      expect(out).toContain('invalid configuration');
      expect(out).toContain('SANDBOX_SIGNING_JWK');
      expect(out).not.toContain(MARKER);
      expect(out).not.toContain(good.d);
    });
  }

  it('the generated key passes; no key and no host is a valid (run-less) setup', async () => {
    expect(parseSigningJwk(env.SANDBOX_SIGNING_JWK)).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect((await healthz({ SANDBOX_HOSTS: HOSTS })).res.status).toBe(200);
    expect((await healthz({ SANDBOX_SIGNING_JWK: undefined, SANDBOX_HOSTS: '[]' })).res.status).toBe(200);
  });
});
