import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { database } from '../../src/db/client.ts';
import { toBase64Url } from '../../src/domain/crypto/encoding.ts';
import { parseKeyring } from '../../src/domain/crypto/keyring.ts';
import { resolveProviderKey } from '../../src/services/provider-key-resolver.ts';
import { authHeaders, fetchAppLogged, jsonInit } from '../helpers.ts';
import { as, json, secretOverrides, tenant } from './fixtures.ts';

// Seed 000 "BYOK key isolation" / "API key encryption at rest"; DESIGN.md "provider keys at rest".
const SECRET = 'sk-proj-PLAINTEXT-MUST-NEVER-LEAK-0123456789-a1b2';
type KeyJson = { provider: string; hint: string };

async function storedRow(userId: string, provider: string) {
  return env.DB.prepare('SELECT * FROM provider_keys WHERE user_id = ? AND provider = ?')
    .bind(userId, provider)
    .first<Record<string, unknown>>();
}

function currentKeyring() {
  const r = parseKeyring(env.PROVIDER_KEY_KEKS, env.PROVIDER_KEY_KEK_CURRENT);
  if (!r.ok) throw new Error(r.problem);
  return r.keyring;
}

describe('provider keys (BYOK)', () => {
  it('stores a key encrypted, answers with a masked hint only, and never logs it', async () => {
    const a = await tenant();
    const { res: put, logs } = await fetchAppLogged(
      'http://127.0.0.1:8787/v1/provider-keys/openai',
      jsonInit('PUT', { key: SECRET }, authHeaders(a.token)),
    );
    const body = await json<KeyJson>(put, 201);
    expect(body).toMatchObject({ provider: 'openai', hint: 'sk-…a1b2' });
    expect(JSON.stringify(body)).not.toContain('PLAINTEXT');
    expect(put.headers.get('cache-control')).toBe('no-store');

    const row = await storedRow(a.user.user.id, 'openai');
    expect(row).not.toBeNull();
    expect(JSON.stringify(row)).not.toContain('PLAINTEXT');
    expect(row?.key_version).toBe(1);

    const list = await json<{ keys: KeyJson[] }>(await as(a.token, '/v1/provider-keys'), 200);
    expect(list.keys).toEqual([expect.objectContaining({ provider: 'openai', hint: 'sk-…a1b2' })]);
    expect(JSON.stringify(list)).not.toContain(String(row?.ciphertext));
    expect(JSON.stringify(list)).not.toContain('PLAINTEXT');

    // Replacing is a rotation (200) under a fresh IV; deleting removes the row.
    const replaced = await json<KeyJson>(
      await as(a.token, '/v1/provider-keys/openai', { method: 'PUT', body: { key: `${SECRET}zz99` } }),
      200,
    );
    expect(replaced.hint).toBe('sk-…zz99');
    expect((await storedRow(a.user.user.id, 'openai'))?.iv).not.toBe(row?.iv);
    expect((await as(a.token, '/v1/provider-keys/openai', { method: 'DELETE' })).status).toBe(204);
    expect(await storedRow(a.user.user.id, 'openai')).toBeNull();
    expect((await as(a.token, '/v1/provider-keys/openai', { method: 'DELETE' })).status).toBe(404);

    // Audit: created, rotated, deleted; never the key, the hint or the ciphertext.
    const audit = await env.DB.prepare(
      "SELECT action, metadata FROM audit_log WHERE actor_user_id = ? AND action LIKE 'provider_key.%' ORDER BY at",
    )
      .bind(a.user.user.id)
      .all<{ action: string; metadata: string }>();
    expect(audit.results.map((r) => r.action)).toEqual([
      'provider_key.created',
      'provider_key.rotated',
      'provider_key.deleted',
    ]);
    expect(JSON.stringify(audit.results)).not.toContain('PLAINTEXT');
    expect(logs.join('\n')).not.toContain('PLAINTEXT');
  });

  it('a failed write logs neither the key nor its ciphertext', async () => {
    const a = await tenant();
    // D1 refusing the write: the error (drizzle puts the query's parameters in its message) is logged.
    const failing = new Proxy(env.DB, {
      get(target, prop, receiver) {
        if (prop === 'prepare') {
          return (query: string) => {
            const statement = target.prepare(query);
            if (!/insert into "provider_keys"/i.test(query)) return statement;
            const refuse = () => Promise.reject(new Error('D1_ERROR: SQLITE_FULL: database or disk is full'));
            return new Proxy(statement, {
              get: (st, p) =>
                p === 'bind'
                  ? () => ({ run: refuse, all: refuse, raw: refuse, first: refuse })
                  : Reflect.get(st, p),
            });
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { res, logs } = await fetchAppLogged(
      'http://127.0.0.1:8787/v1/provider-keys/openai',
      jsonInit('PUT', { key: SECRET }, authHeaders(a.token)),
      { DB: failing },
    );
    expect(res.status).toBe(500);
    const out = logs.join('\n');
    // The logger keeps the driver's reason and drops drizzle's bound parameters.
    expect(out).toContain('SQLITE_FULL');
    expect(out).toContain('params: [redacted]');
    expect(out).not.toContain('PLAINTEXT');
    expect(out).not.toContain('…a1b2');
    // No ciphertext-sized base64url run (the 96-bit IV is 16 characters, the ciphertext ≥ 86).
    expect(out).not.toMatch(/[A-Za-z0-9_-]{60,}/);
    expect(await res.text()).not.toContain('PLAINTEXT');
  });

  it('rejects unknown providers and malformed keys without echoing them', async () => {
    const a = await tenant();
    expect(
      (await as(a.token, '/v1/provider-keys/mistral', { method: 'PUT', body: { key: SECRET } })).status,
    ).toBe(404);
    for (const key of ['short', `${SECRET}\nX-Injected: 1`, 'sk- with spaces in the middle']) {
      const res = await as(a.token, '/v1/provider-keys/openai', { method: 'PUT', body: { key } });
      expect(res.status).toBe(400);
      expect(await res.text()).not.toContain(key);
    }
    expect(
      (await as(a.token, '/v1/provider-keys/openai', { method: 'PUT', body: { key: SECRET, userId: 'x' } }))
        .status,
    ).toBe(400);
  });

  it('decrypts only for its owner: a row copied to another user fails', async () => {
    const a = await tenant();
    const b = await tenant();
    await json(
      await as(a.token, '/v1/provider-keys/anthropic', { method: 'PUT', body: { key: SECRET } }),
      201,
    );
    const db = database(env.DB);
    const keyring = currentKeyring();
    expect(
      await resolveProviderKey(db, keyring, { userId: a.user.user.id, provider: 'anthropic' }, Date.now()),
    ).toEqual({ ok: true, key: SECRET, rotated: false });

    // An attacker with write access to D1 copies A's row to B.
    await env.DB.prepare(
      `INSERT INTO provider_keys (user_id, provider, ciphertext, iv, key_version, hint, created_at, updated_at)
       SELECT ?, provider, ciphertext, iv, key_version, hint, created_at, updated_at
       FROM provider_keys WHERE user_id = ? AND provider = 'anthropic'`,
    )
      .bind(b.user.user.id, a.user.user.id)
      .run();
    expect(
      await resolveProviderKey(db, keyring, { userId: b.user.user.id, provider: 'anthropic' }, Date.now()),
    ).toEqual({ ok: false, reason: 'undecryptable' });
    // ... or relabels it as another provider of A.
    await env.DB.prepare(
      `INSERT INTO provider_keys (user_id, provider, ciphertext, iv, key_version, hint, created_at, updated_at)
       SELECT user_id, 'openai', ciphertext, iv, key_version, hint, created_at, updated_at
       FROM provider_keys WHERE user_id = ? AND provider = 'anthropic'`,
    )
      .bind(a.user.user.id)
      .run();
    expect(
      await resolveProviderKey(db, keyring, { userId: a.user.user.id, provider: 'openai' }, Date.now()),
    ).toEqual({
      ok: false,
      reason: 'undecryptable',
    });
    expect(
      await resolveProviderKey(db, keyring, { userId: a.user.user.id, provider: 'google' }, Date.now()),
    ).toEqual({
      ok: false,
      reason: 'not_configured',
    });
  });

  it('rotation: a new KEK version keeps old rows readable and re-encrypts them on use and on write', async () => {
    const a = await tenant();
    await json(
      await as(a.token, '/v1/provider-keys/openrouter', { method: 'PUT', body: { key: SECRET } }),
      201,
    );
    const before = await storedRow(a.user.user.id, 'openrouter');
    expect(before?.key_version).toBe(1);

    const rotatedEnv = {
      PROVIDER_KEY_KEKS: JSON.stringify({
        ...JSON.parse(env.PROVIDER_KEY_KEKS),
        '2': toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
      }),
      PROVIDER_KEY_KEK_CURRENT: '2',
    };
    // Listing still works and shows the same hint (nothing is decrypted to list).
    const list = await json<{ keys: KeyJson[] }>(
      await as(a.token, '/v1/provider-keys', {}, secretOverrides(rotatedEnv)),
      200,
    );
    expect(list.keys[0]?.hint).toBe('sk-…a1b2');

    const r = parseKeyring(rotatedEnv.PROVIDER_KEY_KEKS, rotatedEnv.PROVIDER_KEY_KEK_CURRENT);
    if (!r.ok) throw new Error(r.problem);
    const db = database(env.DB);
    const owner = { userId: a.user.user.id, provider: 'openrouter' } as const;
    expect(await resolveProviderKey(db, r.keyring, owner, Date.now())).toEqual({
      ok: true,
      key: SECRET,
      rotated: true,
    });
    const after = await storedRow(a.user.user.id, 'openrouter');
    expect(after?.key_version).toBe(2);
    expect(after?.ciphertext).not.toBe(before?.ciphertext);
    expect(await resolveProviderKey(db, r.keyring, owner, Date.now())).toEqual({
      ok: true,
      key: SECRET,
      rotated: false,
    });
    // The old keyring alone can no longer open the rotated row.
    expect(await resolveProviderKey(db, currentKeyring(), owner, Date.now())).toEqual({
      ok: false,
      reason: 'undecryptable',
    });

    // A write under the new current version stores version 2 directly.
    await json(
      await as(
        a.token,
        '/v1/provider-keys/google',
        { method: 'PUT', body: { key: 'AIzaSyTESTKEYTESTKEYTESTKEY9z8y' } },
        secretOverrides(rotatedEnv),
      ),
      201,
    );
    expect((await storedRow(a.user.user.id, 'google'))?.key_version).toBe(2);
  });
});
