/**
 * Run admission (issue 5, item 1): the request schema (400 naming the field), the body limit, the
 * per-user creation rate (30 per minute) and the per-organization cap on runs in progress.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { errorOf, fetchApp } from '../helpers.ts';
import { BASE, bearer, postRun, type RunView, registerUser, runAsync, watch, worker } from './support.ts';

const KiB = 1024;

/** The runs whose creation this user has in the audit log, with the entry's metadata checked. */
async function createdAudited(userId: string): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT target_id, org_id, metadata FROM audit_log WHERE actor_user_id = ? AND action = 'run.create'",
  )
    .bind(userId)
    .all<{ target_id: string; org_id: string | null; metadata: string }>();
  for (const row of results) {
    expect(row.org_id).toBeTruthy();
    expect(JSON.parse(row.metadata)).toEqual({ language: 'python' });
  }
  return results.map((r) => r.target_id);
}

async function invalid(res: Response): Promise<string[]> {
  expect(res.status).toBe(400);
  const error = await errorOf(res);
  expect(error.code).toBe('validation_failed');
  return (error.fields ?? []).map((f) => f.field);
}

describe('runs: admission', { timeout: 60_000 }, () => {
  it('rejects malformed and oversized requests, naming the field', async () => {
    const user = await registerUser();
    const post = (body: unknown) => postRun(user, body);
    expect(await invalid(await post({ language: 'python', code: 'x'.repeat(256 * KiB + 1) }))).toEqual([
      'code',
    ]);
    expect(
      await invalid(
        await post({ language: 'python', files: [{ name: 'a.py', content: 'x'.repeat(256 * KiB + 1) }] }),
      ),
    ).toEqual(['files']);
    expect(
      await invalid(await post({ language: 'python', code: '', stdin: 'x'.repeat(1024 * KiB + 1) })),
    ).toEqual(['stdin']);
    expect(
      await invalid(await post({ language: 'python', code: '1', limits: { timeoutMs: 15_001 } })),
    ).toEqual(['limits.timeoutMs']);
    expect(await invalid(await post({ language: 'python', code: '1', limits: { memoryMb: 4096 } }))).toEqual([
      'limits.memoryMb',
    ]);
    expect(await invalid(await post({ language: 'cobol', code: '1' }))).toEqual(['language']);
    expect(await invalid(await post({ language: 'python' }))).toEqual(['code']);
    expect(
      await invalid(await post({ language: 'python', code: '1', files: [{ name: 'a.py', content: '1' }] })),
    ).toEqual(['code']);
    expect(
      await invalid(await post({ language: 'python', code: '1', files: undefined, shell: true })),
    ).toEqual(['shell']);
    expect(await invalid(await post({ language: 'python', code: '1', args: ['a\0b'] }))).toEqual(['args.0']);
    expect(
      await invalid(await post({ language: 'python', files: [{ name: '../etc/passwd', content: '1' }] })),
    ).toEqual(['files.0.name']);
    expect(await invalid(await post({ language: 'python', code: '1', wait: 'yes' }))).toEqual(['wait']);

    const malformed = await worker('/v1/runs', {
      method: 'POST',
      headers: { ...bearer(user), 'content-type': 'application/json' },
      body: '{"language": "python", "code": ',
    });
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe('invalid_json');

    const notJson = await worker('/v1/runs', { method: 'POST', headers: bearer(user), body: 'print(1)' });
    expect(notJson.status).toBe(415);

    const huge = await worker('/v1/runs', {
      method: 'POST',
      headers: { ...bearer(user), 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'python', code: '1', stdin: 'x'.repeat(5 * 1024 * KiB) }),
    });
    expect(huge.status).toBe(413);

    expect((await worker('/v1/runs', { method: 'POST' })).status).toBe(401);
  });

  it('accepts source and stdin right at their limits', async () => {
    const user = await registerUser();
    const code = 'import sys\nprint(len(sys.stdin.read()))\n#';
    const padded = code + 'x'.repeat(256 * KiB - code.length);
    const res = await postRun(user, {
      language: 'python',
      code: padded,
      stdin: 'y'.repeat(1024 * KiB),
      wait: true,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as RunView).stdout).toBe(`${1024 * KiB}\n`);
  });

  it('limits run creation to 30 per minute per user (429 with Retry-After)', async () => {
    const user = await registerUser();
    for (let i = 0; i < 30; i++) {
      expect((await postRun(user, { language: 'python' })).status).toBe(400);
    }
    const limited = await postRun(user, { language: 'python', code: 'print(1)' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await errorOf(limited)).code).toBe('rate_limited');
    // Another user has their own quota.
    expect((await postRun(await registerUser(), { language: 'python' })).status).toBe(400);
  });

  it('admission draws on the API and run-creation quotas together; an API refusal spends no run creation', async () => {
    const user = await registerUser();
    const small = { RATE_LIMIT_API: '3/1m', RATE_LIMIT_RUNS: '2/1m' };
    const first = await postRun(user, { language: 'python' }, small);
    expect(first.status).toBe(400);
    // Both quotas, each with its own policy (the run-creation quota first, as it is checked last).
    expect(first.headers.get('ratelimit-policy')).toBe('"runs";q=2;w=60, "api";q=3;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"runs";r=1;t=\d+, "api";r=2;t=\d+$/);
    expect((await postRun(user, { language: 'python' }, small)).status).toBe(400);
    const refused = await postRun(user, { language: 'python' }, small);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(/^"runs";r=0;t=\d+, "api";r=0;t=\d+$/);
    // The refused creation still spent an API call (checked before it): the API quota is used up.
    const me = await fetchApp(`${BASE}/v1/me`, { headers: bearer(user) }, small as Partial<Env>);
    expect(me.status).toBe(429);

    // An API refusal stops before the run-creation quota: it is still whole afterwards.
    const other = await registerUser();
    const apiSpent = { RATE_LIMIT_API: '1/1m', RATE_LIMIT_RUNS: '2/1m' };
    expect(
      (await fetchApp(`${BASE}/v1/me`, { headers: bearer(other) }, apiSpent as Partial<Env>)).status,
    ).toBe(200);
    const byApi = await postRun(other, { language: 'python' }, apiSpent);
    expect(byApi.status).toBe(429);
    expect(byApi.headers.get('ratelimit-policy')).toBe('"api";q=1;w=60');
    const roomy = { RATE_LIMIT_API: '100/1m', RATE_LIMIT_RUNS: '2/1m' };
    expect((await postRun(other, { language: 'python' }, roomy)).status).toBe(400);
    expect((await postRun(other, { language: 'python' }, roomy)).status).toBe(400);
    expect((await postRun(other, { language: 'python' }, roomy)).status).toBe(429);
  });

  it('caps runs in progress per organization (429 run_concurrency_limit), and frees the slot at the end', async () => {
    const user = await registerUser();
    const capped = { RUN_MAX_CONCURRENT_PER_ORG: '1' };
    const first = await runAsync(user, { language: 'python', code: 'import time\ntime.sleep(1.5)' }, capped);
    const watcher = await watch(first.streamUrl);

    const refused = await postRun(user, { language: 'python', code: 'print(2)' }, capped);
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).code).toBe('run_concurrency_limit');
    // The audit entry travels in the insert's batch, guarded by the row: the refusal recorded nothing.
    expect(await createdAudited(user.user.id)).toEqual([first.id]);

    await watcher.closed;
    const after = await postRun(user, { language: 'python', code: 'print(3)', wait: true }, capped);
    expect(after.status).toBe(200);
    const { id } = (await after.json()) as RunView;
    expect((await createdAudited(user.user.id)).sort()).toEqual([first.id, id].sort());
  });
});
