import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { authHeaders, FAST_HASH_ENV, jsonInit, TEST_PASSWORD, uniqueEmail, uniqueIp } from '../helpers.ts';

/**
 * The clock is injected (`createApp({ now })`), as on the sandbox host: routes read time through it.
 * An API key's expiry must lie in the future of the app's clock, not of the machine's.
 */

const DAY_MS = 86_400_000;

async function createKeyExpiringIn10Days(clockOffsetMs: number): Promise<number> {
  const app = createApp({ now: () => Date.now() + clockOffsetMs });
  const vars = { ...env, ...FAST_HASH_ENV };
  const ip = { 'cf-connecting-ip': uniqueIp() };
  const registered = await app.request(
    'http://127.0.0.1:8787/v1/auth/register',
    jsonInit('POST', { email: uniqueEmail('clock'), password: TEST_PASSWORD }, ip),
    vars,
  );
  expect(registered.status).toBe(201);
  const { accessToken } = (await registered.json()) as { accessToken: string };
  const expiresAt = new Date(Date.now() + 10 * DAY_MS).toISOString();
  const res = await app.request(
    'http://127.0.0.1:8787/v1/api-keys',
    jsonInit(
      'POST',
      { name: 'clock', scopes: ['runs:read'], expiresAt },
      { ...ip, ...authHeaders(accessToken) },
    ),
    vars,
  );
  return res.status;
}

describe('injected clock', () => {
  it("judges an API key's expiry by the app's clock", async () => {
    expect(await createKeyExpiringIn10Days(0)).toBe(201);
    // The same expiry, seen from a clock 400 days ahead, is in the past.
    expect(await createKeyExpiringIn10Days(400 * DAY_MS)).toBe(400);
  });
});
