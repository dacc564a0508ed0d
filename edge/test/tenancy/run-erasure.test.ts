import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { as, tenant } from './fixtures.ts';

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
