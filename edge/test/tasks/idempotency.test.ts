/**
 * `Idempotency-Key` on POST /v1/runs and POST /v1/tasks (issue 13, item 4): a retry with the same key
 * within 24 h gets the first answer and starts no second run and no second model call; a duplicate
 * while the first is in flight is refused; the same key with another body is refused; the key is
 * validated; refusals before anything started release the key; keys are per caller and expire.
 * Runs and model calls are counted where they happen: D1's runs table, the local provider server.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { database } from '../../src/db/client.ts';
import { requestHash } from '../../src/domain/idempotency/key.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { runHousekeeping } from '../../src/services/housekeeping.ts';
import { jsonInit } from '../helpers.ts';
import { bearer, watch, worker } from '../runs/support.ts';
import { mintApiKey, type Tenant, tenant } from '../tenancy/fixtures.ts';
import { freshKey, programReply, received, script } from './providers-script.ts';
import { storeKey } from './support.ts';

const HOUR = 3_600_000;

const runsOf = async (userId: string) =>
  (
    await env.DB.prepare('SELECT COUNT(*) AS n FROM runs WHERE user_id = ?')
      .bind(userId)
      .first<{ n: number }>()
  )?.n ?? -1;

function post(
  caller: string,
  path: '/v1/runs' | '/v1/tasks',
  body: unknown,
  key?: string,
): Promise<Response> {
  return worker(
    path,
    jsonInit('POST', body, { ...bearer(caller), ...(key ? { 'Idempotency-Key': key } : {}) }),
  );
}

const RUN = { language: 'python', code: 'print(6 * 7)', wait: true };

async function freshTenant(): Promise<Tenant> {
  if (env.RUNS_HOST_ERROR) throw new Error(env.RUNS_HOST_ERROR);
  return tenant();
}

describe('Idempotency-Key on POST /v1/runs', { timeout: 60_000 }, () => {
  it('a retry returns the first answer, status and body, and starts no second run', async () => {
    const t = await freshTenant();
    const key = crypto.randomUUID();
    const first = await post(t.token, '/v1/runs', RUN, key);
    expect(first.status).toBe(200);
    const firstBody = await first.text();
    expect(JSON.parse(firstBody)).toMatchObject({ status: 'succeeded', stdout: '42\n' });
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await post(t.token, '/v1/runs', RUN, key);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await runsOf(t.user.user.id)).toBe(1);

    // Without a key, the same request is a new run.
    expect((await post(t.token, '/v1/runs', RUN)).status).toBe(200);
    expect(await runsOf(t.user.user.id)).toBe(2);
  });

  it('a replayed 202 names the same run, with a fresh stream ticket that works', async () => {
    const t = await freshTenant();
    const key = crypto.randomUUID();
    const body = { language: 'python', code: 'print("streamed")' };
    const first = await post(t.token, '/v1/runs', body, key);
    expect(first.status).toBe(202);
    const a = (await first.json()) as { id: string; streamUrl: string };
    const second = await post(t.token, '/v1/runs', body, key);
    expect(second.status).toBe(202);
    const b = (await second.json()) as { id: string; status: string; streamUrl: string };
    expect(b.id).toBe(a.id);
    expect(b.status).toBe('queued');
    expect(b.streamUrl).not.toBe(a.streamUrl);
    const watcher = await watch(b.streamUrl);
    await watcher.closed;
    expect(watcher.frames.find((f) => f.type === 'exit')?.result).toMatchObject({ stdout: 'streamed\n' });
    expect(await runsOf(t.user.user.id)).toBe(1);
    // No ticket is kept at rest: the stored answer holds none.
    const row = await env.DB.prepare('SELECT response_body AS body FROM idempotency_keys WHERE key = ?')
      .bind(key)
      .first<{ body: string }>();
    expect(JSON.parse(row?.body ?? '{}')).toMatchObject({ id: a.id, streamUrl: null });
    expect(row?.body).not.toContain('rt_');
  });

  it('the same key with a different body is 422 idempotency_key_reused, and nothing runs', async () => {
    const t = await freshTenant();
    const key = crypto.randomUUID();
    expect((await post(t.token, '/v1/runs', RUN, key)).status).toBe(200);
    const other = await post(t.token, '/v1/runs', { ...RUN, code: 'print(1)' }, key);
    expect(other.status).toBe(422);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    // Another route with the key is another request too.
    const task = await post(
      t.token,
      '/v1/tasks',
      { prompt: 'p', provider: 'openai', model: 'm', language: 'python' },
      key,
    );
    expect(task.status).toBe(422);
    expect(await runsOf(t.user.user.id)).toBe(1);
  });

  it('a duplicate while the first is in flight is 409 idempotency_in_progress; an abandoned claim is taken over', async () => {
    const t = await freshTenant();
    const key = crypto.randomUUID();
    const bytes = new TextEncoder().encode(JSON.stringify(RUN));
    const hash = await requestHash('POST', '/v1/runs', bytes.buffer as ArrayBuffer);
    const now = Date.now();
    // The first request's claim, exactly as the middleware writes it while the request runs.
    await env.DB.prepare(
      `INSERT INTO idempotency_keys (org_id, user_id, principal, key, request_hash, lock_id, locked_until, created_at, expires_at)
       VALUES (?, ?, 'user', ?, ?, 'first', ?, ?, ?)`,
    )
      .bind(t.personalOrgId, t.user.user.id, key, hash, now + HOUR, now, now + 24 * HOUR)
      .run();
    const dup = await post(t.token, '/v1/runs', RUN, key);
    expect(dup.status).toBe(409);
    expect(dup.headers.get('retry-after')).toBe('1');
    expect(((await dup.json()) as { error: { code: string } }).error.code).toBe('idempotency_in_progress');
    expect(await runsOf(t.user.user.id)).toBe(0);

    // The first request died (its lock lapsed without an answer): the key is taken over and runs.
    await env.DB.prepare('UPDATE idempotency_keys SET locked_until = ? WHERE key = ?')
      .bind(now - 1, key)
      .run();
    expect((await post(t.token, '/v1/runs', RUN, key)).status).toBe(200);
    expect(await runsOf(t.user.user.id)).toBe(1);
  });

  it('two identical requests at once start one run', async () => {
    const t = await freshTenant();
    const key = crypto.randomUUID();
    const answers = await Promise.all([
      post(t.token, '/v1/runs', RUN, key),
      post(t.token, '/v1/runs', RUN, key),
    ]);
    const statuses = answers.map((r) => r.status).sort();
    // The second either arrived in flight (409) or after the answer (replayed 200).
    expect([
      [200, 200],
      [200, 409],
    ]).toContainEqual(statuses);
    expect(await runsOf(t.user.user.id)).toBe(1);
  });

  it('validates the key: empty, too long or with spaces → 400, and nothing runs', async () => {
    const t = await freshTenant();
    for (const bad of ['', 'a'.repeat(256), 'has space', 'tab\tkey']) {
      const res = await worker(
        '/v1/runs',
        jsonInit('POST', RUN, { ...bearer(t.token), 'Idempotency-Key': bad }),
      );
      expect(res.status, JSON.stringify(bad)).toBe(400);
      const error = ((await res.json()) as { error: { code: string; fields?: unknown; details?: unknown } })
        .error;
      expect(error.code).toBe('validation_failed');
    }
    expect((await post(t.token, '/v1/runs', RUN, 'k'.repeat(255))).status).toBe(200);
    expect(await runsOf(t.user.user.id)).toBe(1);
  });

  it('a refusal before anything started releases the key: the corrected request runs', async () => {
    const t = await freshTenant();
    const key = crypto.randomUUID();
    const invalid = await post(t.token, '/v1/runs', { ...RUN, language: 'no-such-language' }, key);
    expect(invalid.status).toBe(400);
    expect(await runsOf(t.user.user.id)).toBe(0);
    expect((await post(t.token, '/v1/runs', RUN, key)).status).toBe(200);
    expect(await runsOf(t.user.user.id)).toBe(1);
  });

  it('keys are per caller: another user, or an API key, with the same key starts its own run', async () => {
    const a = await freshTenant();
    const b = await freshTenant();
    const key = crypto.randomUUID();
    expect((await post(a.token, '/v1/runs', RUN, key)).status).toBe(200);
    const other = await post(b.token, '/v1/runs', RUN, key);
    expect(other.status).toBe(200);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(await runsOf(b.user.user.id)).toBe(1);

    const apiKey = await mintApiKey(a);
    const viaKey = await post(apiKey.key, '/v1/runs', RUN, key);
    expect(viaKey.status).toBe(200);
    expect(viaKey.headers.get('idempotent-replayed')).toBeNull();
    expect(await runsOf(a.user.user.id)).toBe(2);
    // …and its own retry replays.
    expect((await post(apiKey.key, '/v1/runs', RUN, key)).headers.get('idempotent-replayed')).toBe('true');
    expect(await runsOf(a.user.user.id)).toBe(2);
  });

  it('after 24 hours the key is free again, and housekeeping deletes expired records', async () => {
    const t = await freshTenant();
    const key = crypto.randomUUID();
    expect((await post(t.token, '/v1/runs', RUN, key)).status).toBe(200);
    const past = Date.now() - 1;
    await env.DB.prepare('UPDATE idempotency_keys SET expires_at = ? WHERE key = ?').bind(past, key).run();
    const later = await post(t.token, '/v1/runs', RUN, key);
    expect(later.status).toBe(200);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(await runsOf(t.user.user.id)).toBe(2);

    await env.DB.prepare('UPDATE idempotency_keys SET expires_at = ? WHERE key = ?').bind(past, key).run();
    const parsed = parseConfig(env as unknown as Record<string, unknown>);
    if (!parsed.ok) throw new Error(`config: ${parsed.problems.join('; ')}`);
    const report = await runHousekeeping(
      database(env.DB),
      parsed.config,
      Date.now(),
      createLogger({}, () => undefined),
    );
    expect(report.idempotencyRows).toBeGreaterThanOrEqual(1);
    const left = await env.DB.prepare('SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = ?')
      .bind(key)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});

describe('Idempotency-Key on POST /v1/tasks', { timeout: 60_000 }, () => {
  const TASK = { prompt: 'Print 42.', provider: 'openai', model: 'gpt-local', language: 'python' } as const;

  it('a retry returns the same task and makes no second model call; its fresh stream URL works', async () => {
    const t = await freshTenant();
    const providerKey = freshKey('openai');
    await storeKey(t.user, 'openai', providerKey);
    await script(providerKey, programReply('print(42)'), programReply('print("second call")'));
    const key = crypto.randomUUID();
    const first = await post(t.token, '/v1/tasks', TASK, key);
    expect(first.status).toBe(202);
    const a = (await first.json()) as { id: string; streamUrl: string };
    const second = await post(t.token, '/v1/tasks', TASK, key);
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const b = (await second.json()) as { id: string; streamUrl: string };
    expect(b.id).toBe(a.id);
    const watcher = await watch(b.streamUrl);
    await watcher.closed;
    expect((watcher.frames as { type: string; status?: string }[]).at(-1)).toMatchObject({
      type: 'end',
      status: 'succeeded',
    });
    expect(await received(providerKey)).toHaveLength(1);
    const tasks = await env.DB.prepare('SELECT COUNT(*) AS n FROM tasks WHERE user_id = ?')
      .bind(t.user.user.id)
      .first<{ n: number }>();
    expect(tasks?.n).toBe(1);
  });

  it('a provider failure is the first answer too: the retry gets it again without calling the provider', async () => {
    const t = await freshTenant();
    const providerKey = freshKey('openai');
    await storeKey(t.user, 'openai', providerKey);
    await script(providerKey, { kind: 'status', status: 401 }, programReply('print(1)'));
    const key = crypto.randomUUID();
    const first = await post(t.token, '/v1/tasks', TASK, key);
    expect(first.status).toBe(400);
    const firstBody = await first.text();
    expect(JSON.parse(firstBody)).toMatchObject({ error: { code: 'provider_auth_failed' } });
    const again = await post(t.token, '/v1/tasks', TASK, key);
    expect(again.status).toBe(400);
    expect(await again.text()).toBe(firstBody);
    expect(await received(providerKey)).toHaveLength(1);
  });

  it('two identical requests at once make one model call', async () => {
    const t = await freshTenant();
    const providerKey = freshKey('openai');
    await storeKey(t.user, 'openai', providerKey);
    await script(providerKey, programReply('print(42)'), programReply('print("second call")'));
    const key = crypto.randomUUID();
    const answers = await Promise.all([
      post(t.token, '/v1/tasks', TASK, key),
      post(t.token, '/v1/tasks', TASK, key),
    ]);
    const statuses = answers.map((r) => r.status).sort();
    expect([
      [202, 202],
      [202, 409],
    ]).toContainEqual(statuses);
    const ids = new Set(
      await Promise.all(
        answers.filter((r) => r.status === 202).map(async (r) => ((await r.json()) as { id: string }).id),
      ),
    );
    expect(ids.size).toBe(1);
    expect(await received(providerKey)).toHaveLength(1);
  });

  it('without a key nothing is remembered: each request is a new model call', async () => {
    const t = await freshTenant();
    const providerKey = freshKey('openai');
    await storeKey(t.user, 'openai', providerKey);
    await script(providerKey, programReply('print(1)'), programReply('print(2)'));
    expect((await post(t.token, '/v1/tasks', TASK)).status).toBe(202);
    expect((await post(t.token, '/v1/tasks', TASK)).status).toBe(202);
    expect(await received(providerKey)).toHaveLength(2);
  });
});
