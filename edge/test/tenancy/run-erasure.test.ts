import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../helpers.ts';
import { as, createOrg, tenant } from './fixtures.ts';

/** Issue 12, item 12: DELETE /v1/runs/{id} erases a run's stored output; only the owner's, only when finished. */

async function insertRun(orgId: string, userId: string, status: string): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO runs (id, org_id, user_id, language, status, stdout, stderr, created_at, finished_at)
     VALUES (?, ?, ?, 'python', ?, 'STORED-OUTPUT', 'STORED-ERR', ?, ?)`,
  )
    .bind(id, orgId, userId, status, Date.now(), status === 'running' ? null : Date.now())
    .run();
  return id;
}

const stored = (id: string) =>
  env.DB.prepare('SELECT count(*) AS n FROM runs WHERE id = ? AND stdout IS NOT NULL')
    .bind(id)
    .first<{ n: number }>()
    .then((r) => r?.n);

describe('DELETE /v1/runs/{id}', () => {
  it("a deleted run's output is gone; another user's run is a 404; a running one is a 409", async () => {
    const a = await tenant();
    const b = await tenant();
    const done = await insertRun(a.personalOrgId, a.user.user.id, 'succeeded');
    const running = await insertRun(a.personalOrgId, a.user.user.id, 'running');

    expect((await as(b.token, `/v1/runs/${done}`, { method: 'DELETE' })).status).toBe(404);
    expect(await stored(done)).toBe(1);
    expect((await as(a.token, `/v1/runs/${running}`, { method: 'DELETE' })).status).toBe(409);
    expect(await stored(running)).toBe(1);

    expect((await as(a.token, `/v1/runs/${done}`, { method: 'DELETE' })).status).toBe(204);
    expect(await stored(done)).toBe(0);
    expect((await as(a.token, `/v1/runs/${done}`)).status).toBe(404);
  });
});

describe('concurrent runs are capped per user as well as per organization', () => {
  it('runs in progress in one organization count against the user in another', async () => {
    const a = await tenant();
    const team = await createOrg(a, 'Other');
    const caps = { RUN_MAX_CONCURRENT_PER_USER: '2', RUN_MAX_CONCURRENT_PER_ORG: '10' } as Partial<Env>;
    await insertRun(team, a.user.user.id, 'running');
    await insertRun(team, a.user.user.id, 'queued');
    const res = await as(a.token, '/v1/runs', { body: { language: 'python', code: 'print(1)' } }, caps);
    expect(res.status).toBe(429);
    expect((await errorOf(res)).code).toBe('run_concurrency_limit');
    // The control: with room under the user cap the same request gets past the check.
    const roomy = await as(a.token, '/v1/runs', { body: { language: 'python', code: 'print(1)' } }, {
      ...caps,
      RUN_MAX_CONCURRENT_PER_USER: '3',
    } as Partial<Env>);
    expect(roomy.status).not.toBe(429);
  });
});
