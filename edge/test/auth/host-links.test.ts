import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { errorOf, fetchAppLogged } from '../helpers.ts';

/** Issue 12, item 6: plaintext sandbox-host links are refused outside loopback, at config time. */

const hosts = (url: string) => ({ SANDBOX_HOSTS: JSON.stringify([{ id: 'h1', url }]) }) as Partial<Env>;

describe('sandbox host URLs', () => {
  it('refuses ws:// and http:// to a non-loopback host with a clear message', async () => {
    for (const url of ['ws://sandbox.example.test:8790', 'http://10.0.0.5:8790', 'ws://[2001:db8::1]:8790']) {
      const { res, logs } = await fetchAppLogged('http://127.0.0.1:8787/healthz', {}, hosts(url));
      expect(res.status).toBe(500);
      expect((await errorOf(res)).code).toBe('server_misconfigured');
      expect(logs.join('\n')).toContain('must use wss:// or https://');
    }
  });

  it('accepts wss:// and https:// anywhere, and plaintext on loopback', async () => {
    for (const url of [
      'wss://sandbox.example.test:8790',
      'https://10.0.0.5',
      'ws://127.0.0.1:8790',
      'http://localhost:8790',
      'ws://[::1]:8790',
    ]) {
      const { res } = await fetchAppLogged('http://127.0.0.1:8787/healthz', {}, hosts(url));
      expect(res.status).toBe(200);
    }
  });

  it('parseConfig names the variable', () => {
    const result = parseConfig({ JWT_SIGNING_KEY: 'x'.repeat(64), ...hosts('ws://sandbox.example.test') });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join('\n')).toMatch(/SANDBOX_HOSTS.*wss:\/\//);
  });
});
