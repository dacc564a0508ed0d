import { env } from 'cloudflare:test';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { hashApiKeySecret } from '../../src/domain/api-keys/token.ts';
import type { AppEnv } from '../../src/env.ts';
import { onError } from '../../src/errors/handler.ts';
import { authenticate } from '../../src/middleware/authenticate.ts';
import { loadConfig } from '../../src/middleware/config.ts';
import { orgContext } from '../../src/middleware/org-context.ts';
import { requestId } from '../../src/middleware/request-id.ts';
import { requireScope } from '../../src/middleware/require-scope.ts';
import { authHeaders, errorOf, fetchAppLogged } from '../helpers.ts';
import { as, createOrg, json, mintApiKey, tenant } from './fixtures.ts';

// Seed 001 "API Key Protection": SHA-256 at rest, one-time visibility. DESIGN.md: ≥ 128-bit secret.
type KeyRow = Record<string, unknown> & { secret_hash: string; last_used_at: number | null };
const row = (id: string) => env.DB.prepare('SELECT * FROM api_keys WHERE id = ?').bind(id).first<KeyRow>();

/** A route that needs a scope, exactly as resource routes mount it: authenticate → org → scope. */
function scopedApp(scope: 'runs:read' | 'runs:write') {
  const app = new Hono<AppEnv>();
  app.use(requestId(), loadConfig());
  app.get('/scoped', authenticate(), orgContext(), requireScope(scope), (c) =>
    c.json({ org: c.get('org').id, principal: c.get('principal').kind }),
  );
  app.onError(onError);
  return (token: string) => app.request('/scoped', { headers: authHeaders(token) }, env);
}

describe('API keys', () => {
  it('shows the secret once and keeps only its SHA-256', async () => {
    const a = await tenant();
    const created = await mintApiKey(a, { name: 'deploy bot', scopes: ['runs:write'] });
    expect(created.key).toMatch(/^ak_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(`ak_${created.prefix}_`)).toBe(true);
    const secret = created.key.split('_').slice(2).join('_');

    const stored = await row(created.id);
    expect(stored?.secret_hash).toBe(await hashApiKeySecret(secret));
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored?.org_id).toBe(a.personalOrgId);

    const list = await json<{ keys: Record<string, unknown>[] }>(await as(a.token, '/v1/api-keys'), 200);
    expect(list.keys).toEqual([
      expect.objectContaining({
        id: created.id,
        name: 'deploy bot',
        prefix: created.prefix,
        scopes: ['runs:write'],
      }),
    ]);
    expect(JSON.stringify(list)).not.toContain(secret);
    expect(list.keys[0]).not.toHaveProperty('key');
    expect(list.keys[0]).not.toHaveProperty('secretHash');

    const audit = await env.DB.prepare(
      "SELECT metadata FROM audit_log WHERE action = 'api_key.created' AND target_id = ?",
    )
      .bind(created.id)
      .first<{ metadata: string }>();
    expect(audit?.metadata).toContain(created.prefix);
    expect(audit?.metadata).not.toContain(secret);
  });

  it('authenticates within its organization, pinned to it', async () => {
    const a = await tenant();
    const team = await createOrg(a);
    const key = await mintApiKey(a, { orgId: team });
    const orgs = await json<{ orgs: { id: string }[] }>(await as(key.key, '/v1/orgs'), 200);
    expect(orgs.orgs.map((o) => o.id)).toEqual([team]);
    const check = scopedApp('runs:read');
    expect(await json(await check(key.key), 200)).toEqual({ org: team, principal: 'api_key' });
    // Another organization of the same user: 404, as for any organization that is not yours.
    expect((await as({ token: key.key, orgId: a.personalOrgId }, '/v1/orgs')).status).toBe(200); // lists are pinned
    const pinned = new Hono<AppEnv>();
    pinned.use(requestId(), loadConfig());
    pinned.get('/x', authenticate(), orgContext(), (c) => c.json({ org: c.get('org').id }));
    pinned.onError(onError);
    const other = await pinned.request(
      '/x',
      { headers: { ...authHeaders(key.key), 'X-Org-Id': a.personalOrgId } },
      env,
    );
    expect(other.status).toBe(404);
  });

  it('enforces scopes', async () => {
    const a = await tenant();
    const readOnly = await mintApiKey(a, { scopes: ['runs:read'] });
    const writeOnly = await mintApiKey(a, { scopes: ['runs:write'] });
    const needsWrite = scopedApp('runs:write');
    const needsRead = scopedApp('runs:read');
    const refused = await needsWrite(readOnly.key);
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe('insufficient_scope');
    expect((await needsRead(readOnly.key)).status).toBe(200);
    expect((await needsWrite(writeOnly.key)).status).toBe(200);
    expect((await needsRead(writeOnly.key)).status).toBe(403);
    // A user session holds every scope.
    expect((await needsWrite(a.token)).status).toBe(200);
    // Unknown scopes cannot be minted.
    for (const scopes of [['admin'], [], ['runs:read', 'runs:read'], ['runs:*']]) {
      expect((await as(a.token, '/v1/api-keys', { body: { name: 'x', scopes } })).status).toBe(400);
    }
  });

  it('never reaches account, key-management or admin routes', async () => {
    const a = await tenant();
    const key = await mintApiKey(a);
    const attempts: [string, string, unknown?][] = [
      ['GET', '/v1/me'],
      ['GET', '/v1/api-keys'],
      ['POST', '/v1/api-keys', { name: 'child', scopes: ['runs:read'] }],
      ['DELETE', `/v1/api-keys/${key.id}`],
      ['GET', '/v1/provider-keys'],
      ['PUT', '/v1/provider-keys/openai', { key: 'sk-0123456789abcdef0123' }],
      ['DELETE', '/v1/provider-keys/openai'],
      ['POST', '/v1/orgs', { name: 'x' }],
      ['GET', `/v1/orgs/${a.personalOrgId}/members`],
      ['POST', `/v1/orgs/${a.personalOrgId}/members`, { email: a.user.user.email }],
      ['DELETE', `/v1/orgs/${a.personalOrgId}/members/${a.user.user.id}`],
      ['GET', '/v1/admin/stats'],
      ['GET', '/v1/admin/users'],
      ['GET', '/v1/admin/billing'],
      ['GET', '/v1/admin/audit'],
    ];
    for (const [method, path, body] of attempts) {
      const res = await as(key.key, path, { method, body });
      expect([path, res.status]).toEqual([path, 403]);
    }
    expect((await row(key.id))?.revoked_at).toBeNull();
  });

  it('a revoked key is rejected at once', async () => {
    const a = await tenant();
    const key = await mintApiKey(a);
    expect((await as(key.key, '/v1/orgs')).status).toBe(200);
    expect((await as(a.token, `/v1/api-keys/${key.id}`, { method: 'DELETE' })).status).toBe(204);
    const res = await as(key.key, '/v1/orgs');
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe('unauthorized');
    expect((await row(key.id))?.revoked_at).toEqual(expect.any(Number));
    // Revoking again is idempotent for the owner; it is audited once.
    expect((await as(a.token, `/v1/api-keys/${key.id}`, { method: 'DELETE' })).status).toBe(204);
    const audits = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_log WHERE action = 'api_key.revoked' AND target_id = ?",
    )
      .bind(key.id)
      .first<{ n: number }>();
    expect(audits?.n).toBe(1);
  });

  it('an expired key is rejected', async () => {
    const a = await tenant();
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const key = await mintApiKey(a, { expiresAt: soon });
    expect((await as(key.key, '/v1/orgs')).status).toBe(200);
    await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1, key.id)
      .run();
    expect((await as(key.key, '/v1/orgs')).status).toBe(401);
    // Expiry must be in the future (and at most a year away).
    for (const expiresAt of [new Date(Date.now() - 1000).toISOString(), '2999-01-01T00:00:00Z', 'tomorrow']) {
      expect(
        (await as(a.token, '/v1/api-keys', { body: { name: 'x', scopes: ['runs:read'], expiresAt } })).status,
      ).toBe(400);
    }
  });

  it('rejects a wrong secret, an unknown prefix and garbage with one generic 401, and logs no key', async () => {
    const a = await tenant();
    const key = await mintApiKey(a);
    const wrongSecret = `${key.key.slice(0, 12)}${'A'.repeat(43)}`;
    const unknownPrefix = `ak_zzzzzzzz_${key.key.slice(12)}`;
    for (const token of [wrongSecret, unknownPrefix, 'ak_short', `${key.key}x`]) {
      const { res, logs } = await fetchAppLogged('http://127.0.0.1/v1/orgs', { headers: authHeaders(token) });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).not.toContain(token);
      expect(logs.join('\n')).toContain('authentication failed');
      expect(logs.join('\n')).not.toContain(token.slice(3));
    }
  });

  it('records when it was last used, at most once a minute', async () => {
    const a = await tenant();
    const key = await mintApiKey(a);
    expect((await row(key.id))?.last_used_at).toBeNull();
    expect((await as(key.key, '/v1/orgs')).status).toBe(200);
    let first: number | null = null;
    for (let i = 0; i < 50 && first === null; i++) {
      first = (await row(key.id))?.last_used_at ?? null;
      if (first === null) await new Promise((r) => setTimeout(r, 10));
    }
    expect(first).toEqual(expect.any(Number));
    expect((await as(key.key, '/v1/orgs')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect((await row(key.id))?.last_used_at).toBe(first);
    const listed = await json<{ keys: { lastUsedAt: string | null }[] }>(
      await as(a.token, '/v1/api-keys'),
      200,
    );
    expect(listed.keys[0]?.lastUsedAt).toBe(new Date(first ?? 0).toISOString());
  });

  // `/v1/x/*` also matches `/v1/x`: mounting the guard on both would count each request twice.
  it('is rate-limited per key, like a user (each request counted once)', async () => {
    const a = await tenant();
    const key = await mintApiKey(a);
    const limited = { RATE_LIMIT_API: '2/1m' } as Partial<Env>;
    expect((await as(key.key, '/v1/orgs', {}, limited)).status).toBe(200);
    expect((await as(key.key, '/v1/orgs', {}, limited)).status).toBe(200);
    const res = await as(key.key, '/v1/orgs', {}, limited);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
