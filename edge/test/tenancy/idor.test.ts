import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { as, type Caller, createOrg, json, mintApiKey, type Tenant, tenant } from './fixtures.ts';

/**
 * The IDOR matrix (DESIGN.md rule 1; OWASP ASVS 4.0 V4.2.1): user B, and an API key of B's
 * organization, try to read, list, update, delete and stream user A's resources: provider keys,
 * API keys, organizations and members, runs, the audit log. Every attempt answers 404 (or 403 where
 * the caller's kind may never use the route), leaks nothing of A in the body, and changes nothing
 * of A in D1.
 */

interface World {
  a: Tenant;
  b: Tenant;
  team: string;
  aKeyPersonal: { id: string; key: string };
  aKeyTeam: { id: string; key: string };
  bKey: { id: string; key: string };
  runPersonal: string;
  runTeam: string;
}

let w: World;

async function insertRun(orgId: string, userId: string, status: string): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO runs (id, org_id, user_id, language, status, stdout, created_at)
     VALUES (?, ?, ?, 'python', ?, 'A-SECRET-OUTPUT', ?)`,
  )
    .bind(id, orgId, userId, status, Date.now())
    .run();
  return id;
}

/** Everything of A's in D1 (A's rows and every row of A's organizations). */
async function stateOfA(): Promise<string> {
  const orgs = [w.a.personalOrgId, w.team];
  const q = (sql: string, ...params: unknown[]) =>
    env.DB.prepare(sql)
      .bind(...params)
      .all()
      .then((r) => r.results);
  return JSON.stringify([
    await q('SELECT * FROM orgs WHERE id IN (?, ?) ORDER BY id', ...orgs),
    await q('SELECT * FROM memberships WHERE org_id IN (?, ?) ORDER BY org_id, user_id', ...orgs),
    await q('SELECT * FROM provider_keys WHERE user_id = ? ORDER BY provider', w.a.user.user.id),
    await q(
      'SELECT * FROM api_keys WHERE org_id IN (?, ?) OR user_id = ? ORDER BY id',
      ...orgs,
      w.a.user.user.id,
    ),
    await q(
      'SELECT * FROM runs WHERE org_id IN (?, ?) OR user_id = ? ORDER BY id',
      ...orgs,
      w.a.user.user.id,
    ),
    await q('SELECT id, email, is_admin, password_hash FROM users WHERE id = ?', w.a.user.user.id),
  ]);
}

beforeAll(async () => {
  const a = await tenant();
  const b = await tenant();
  const team = await createOrg(a, 'A team');
  await json(
    await as(a.token, '/v1/provider-keys/openai', {
      method: 'PUT',
      body: { key: 'sk-A-SECRET-PROVIDER-KEY-0001' },
    }),
    201,
  );
  w = {
    a,
    b,
    team,
    aKeyPersonal: await mintApiKey(a),
    aKeyTeam: await mintApiKey(a, { orgId: team }),
    bKey: await mintApiKey(b),
    runPersonal: await insertRun(a.personalOrgId, a.user.user.id, 'running'),
    runTeam: await insertRun(team, a.user.user.id, 'queued'),
  };
});

type Attempt = {
  name: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  orgId?: () => string;
};

/** What B (a user session) tries; 404 for each, in B's own org and naming A's organizations. */
const resourceAttempts: Attempt[] = [
  { name: 'delete A personal API key', method: 'DELETE', path: () => `/v1/api-keys/${w.aKeyPersonal.id}` },
  { name: 'delete A team API key', method: 'DELETE', path: () => `/v1/api-keys/${w.aKeyTeam.id}` },
  { name: 'list A team members', method: 'GET', path: () => `/v1/orgs/${w.team}/members` },
  { name: 'list A personal members', method: 'GET', path: () => `/v1/orgs/${w.a.personalOrgId}/members` },
  { name: 'read A team audit log', method: 'GET', path: () => `/v1/orgs/${w.team}/audit` },
  { name: 'read A personal audit log', method: 'GET', path: () => `/v1/orgs/${w.a.personalOrgId}/audit` },
  {
    name: 'join A team',
    method: 'POST',
    path: () => `/v1/orgs/${w.team}/members`,
    body: () => ({ email: w.b.user.user.email, role: 'admin' }),
  },
  {
    name: 'remove A from team',
    method: 'DELETE',
    path: () => `/v1/orgs/${w.team}/members/${w.a.user.user.id}`,
  },
  {
    name: 'remove A from team (body)',
    method: 'DELETE',
    path: () => `/v1/orgs/${w.team}/members`,
    body: () => ({ userId: w.a.user.user.id }),
  },
  { name: 'read A run', method: 'GET', path: () => `/v1/runs/${w.runPersonal}` },
  { name: 'read A team run', method: 'GET', path: () => `/v1/runs/${w.runTeam}` },
  { name: 'cancel A run', method: 'POST', path: () => `/v1/runs/${w.runPersonal}/cancel` },
  { name: 'cancel A team run', method: 'POST', path: () => `/v1/runs/${w.runTeam}/cancel` },
  { name: 'stream ticket for A run', method: 'POST', path: () => `/v1/runs/${w.runPersonal}/stream-ticket` },
];

/** Acting in A's organizations via X-Org-Id: 404 on every org-scoped route. */
const orgHeaderAttempts: Attempt[] = [
  {
    name: 'list API keys in A personal org',
    method: 'GET',
    path: () => '/v1/api-keys',
    orgId: () => w.a.personalOrgId,
  },
  { name: 'list API keys in A team', method: 'GET', path: () => '/v1/api-keys', orgId: () => w.team },
  {
    name: 'mint an API key in A team',
    method: 'POST',
    path: () => '/v1/api-keys',
    body: () => ({ name: 'x', scopes: ['runs:read'] }),
    orgId: () => w.team,
  },
  {
    name: 'delete A key in A team',
    method: 'DELETE',
    path: () => `/v1/api-keys/${w.aKeyTeam.id}`,
    orgId: () => w.team,
  },
  { name: 'list runs in A team', method: 'GET', path: () => '/v1/runs', orgId: () => w.team },
  {
    name: 'read A run in A org',
    method: 'GET',
    path: () => `/v1/runs/${w.runPersonal}`,
    orgId: () => w.a.personalOrgId,
  },
  {
    name: 'cancel A run in A team',
    method: 'POST',
    path: () => `/v1/runs/${w.runTeam}/cancel`,
    orgId: () => w.team,
  },
  {
    name: 'create a run in A team',
    method: 'POST',
    path: () => '/v1/runs',
    body: () => ({ language: 'python', code: 'print(1)' }),
    orgId: () => w.team,
  },
];

/** Routes an API key may never use, whatever it names: 403. */
const keyForbiddenAttempts: Attempt[] = [
  { name: 'list provider keys', method: 'GET', path: () => '/v1/provider-keys' },
  {
    name: 'overwrite openai key',
    method: 'PUT',
    path: () => '/v1/provider-keys/openai',
    body: () => ({ key: 'sk-B-ATTACKER-KEY-000000' }),
  },
  { name: 'delete openai key', method: 'DELETE', path: () => '/v1/provider-keys/openai' },
  { name: 'list API keys', method: 'GET', path: () => '/v1/api-keys' },
  { name: 'delete A API key', method: 'DELETE', path: () => `/v1/api-keys/${w.aKeyPersonal.id}` },
  { name: 'list A team members', method: 'GET', path: () => `/v1/orgs/${w.team}/members` },
  {
    name: 'join A team',
    method: 'POST',
    path: () => `/v1/orgs/${w.team}/members`,
    body: () => ({ email: w.b.user.user.email }),
  },
  {
    name: 'remove A from team',
    method: 'DELETE',
    path: () => `/v1/orgs/${w.team}/members/${w.a.user.user.id}`,
  },
  { name: 'read the audit log of A team', method: 'GET', path: () => `/v1/admin/audit?org=${w.team}` },
];

async function attempt(caller: Caller, a: Attempt) {
  const res = await as({ ...caller, orgId: a.orgId?.() }, a.path(), { method: a.method, body: a.body?.() });
  const text = await res.text();
  return { status: res.status, text };
}

function expectNoLeak(text: string) {
  for (const secret of ['A-SECRET', w.aKeyPersonal.key, w.aKeyTeam.key, w.a.user.user.email, 'A team']) {
    expect(text).not.toContain(secret);
  }
}

describe('IDOR matrix: B and B’s API key against A’s resources', () => {
  it('user B: 404 for every A resource by id, and in A’s organizations', async () => {
    const before = await stateOfA();
    for (const a of [...resourceAttempts, ...orgHeaderAttempts]) {
      const { status, text } = await attempt({ token: w.b.token }, a);
      expect([a.name, status]).toEqual([a.name, 404]);
      expectNoLeak(text);
    }
    expect(await stateOfA()).toBe(before);
  });

  it('B’s API key: 404 for A’s runs, 404 in A’s organizations, 403 on management routes', async () => {
    const before = await stateOfA();
    const byId = resourceAttempts.filter((a) => a.path().startsWith('/v1/runs'));
    for (const a of [...byId, ...orgHeaderAttempts.filter((a) => a.path().startsWith('/v1/runs'))]) {
      const { status, text } = await attempt({ token: w.bKey.key }, a);
      expect([a.name, status]).toEqual([a.name, 404]);
      expectNoLeak(text);
    }
    for (const a of [
      ...keyForbiddenAttempts,
      ...orgHeaderAttempts.filter((a) => a.path().startsWith('/v1/api-keys')),
    ]) {
      const { status, text } = await attempt({ token: w.bKey.key }, a);
      expect([a.name, status]).toEqual([a.name, 403]);
      expectNoLeak(text);
    }
    expect(await stateOfA()).toBe(before);
  });

  it('the audit log is admin-only: B (user or key) gets 403, even filtering for A’s organization', async () => {
    for (const caller of [{ token: w.b.token }, { token: w.bKey.key }]) {
      for (const path of [`/v1/admin/audit?org=${w.team}`, `/v1/admin/audit?actor=${w.a.user.user.id}`]) {
        const res = await as(caller, path);
        expect([path, res.status]).toEqual([path, 403]);
        expectNoLeak(await res.text());
      }
    }
  });

  it('lists show B only B’s own things', async () => {
    for (const caller of [{ token: w.b.token }, { token: w.bKey.key }]) {
      const orgs = await as(caller, '/v1/orgs');
      expect(orgs.status).toBe(200);
      const body = await orgs.text();
      expect(body).toContain(w.b.personalOrgId);
      expect(body).not.toContain(w.team);
      expect(body).not.toContain(w.a.personalOrgId);
      const runs = await as(caller, '/v1/runs');
      expect(runs.status).toBe(200);
      const runsBody = await runs.text();
      expect(runsBody).not.toContain(w.runPersonal);
      expect(runsBody).not.toContain(w.runTeam);
    }
    const keys = await as(w.b.token, '/v1/api-keys');
    const keysBody = await keys.text();
    expect(keysBody).toContain(w.bKey.id);
    expect(keysBody).not.toContain(w.aKeyPersonal.id);
    expect(keysBody).not.toContain(w.aKeyTeam.id);
    const providerKeys = await json<{ keys: unknown[] }>(await as(w.b.token, '/v1/provider-keys'), 200);
    expect(providerKeys.keys).toEqual([]);
  });

  it('B’s own writes touch only B: a PUT of the same provider stores B’s key, not A’s', async () => {
    const before = await stateOfA();
    await json(
      await as(w.b.token, '/v1/provider-keys/openai', {
        method: 'PUT',
        body: { key: 'sk-B-OWN-KEY-00000000' },
      }),
      201,
    );
    expect((await as(w.b.token, '/v1/provider-keys/openai', { method: 'DELETE' })).status).toBe(204);
    expect((await as(w.b.token, '/v1/provider-keys/openai', { method: 'DELETE' })).status).toBe(404);
    expect(await stateOfA()).toBe(before);
    const aKeys = await json<{ keys: { hint: string }[] }>(await as(w.a.token, '/v1/provider-keys'), 200);
    expect(aKeys.keys.map((k) => k.hint)).toEqual(['sk-…0001']);
  });

  it('a stream needs a ticket: B cannot open A’s run stream', async () => {
    for (const path of [
      `/v1/runs/${w.runPersonal}/stream`,
      `/v1/runs/${w.runPersonal}/stream?ticket=forged`,
    ]) {
      const res = await as(w.b.token, path, { headers: { Upgrade: 'websocket' } });
      expect([401, 404]).toContain(res.status);
      expectNoLeak(await res.text());
    }
  });

  it('A’s keys and runs still work for A afterwards', async () => {
    expect((await as(w.aKeyPersonal.key, '/v1/orgs')).status).toBe(200);
    expect((await as(w.aKeyTeam.key, `/v1/runs/${w.runTeam}`)).status).toBe(200);
    expect((await as(w.a.token, `/v1/runs/${w.runPersonal}`)).status).toBe(200);
    const members = await json<{ members: { userId: string }[] }>(
      await as(w.a.token, `/v1/orgs/${w.team}/members`),
      200,
    );
    expect(members.members.map((m) => m.userId)).toEqual([w.a.user.user.id]);
  });
});
