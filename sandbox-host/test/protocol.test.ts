/**
 * The WebSocket protocol against the real server: authentication before the upgrade (RFC 8725 JWT
 * best practices: algorithm pinned, typ, aud, exp checked; single-use jti), request binding by digest,
 * hostile frames, cancel, capacity and idle close.
 */
import { randomUUID } from 'node:crypto';
import { CLOSE_CODES, LIMITS, RUN_TOKEN, runRequestDigest } from '@airlock/protocol';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../src/server/auth.ts';
import type { TestHost } from './support.ts';
import {
  connect,
  containersOf,
  makeKeys,
  runOnHost,
  startTestHost,
  TEST_ORG,
  UpgradeRefused,
  uniqueId,
  waitFor,
} from './support.ts';

let h: TestHost;
const request = { language: 'bash', code: 'echo hi' };

beforeAll(async () => {
  h = await startTestHost({ POOL_SIZE: '1', POOL_LANGUAGES: 'bash,python', IDLE_TIMEOUT_MS: '1500' });
});

afterAll(async () => {
  await h.close();
  expect(await containersOf(h.hostId)).toEqual([]);
});

async function refusedWith(token: string | undefined): Promise<number> {
  try {
    const s = await connect(h.url, token);
    s.ws.close();
    return 101;
  } catch (err) {
    if (err instanceof UpgradeRefused) return err.status;
    throw err;
  }
}

describe('authentication on upgrade', () => {
  it('accepts a valid token (the control for the refusals below)', async () => {
    const runId = uniqueId('run');
    expect(await refusedWith(await h.token({ runId, request }))).toBe(101);
  });

  it('refuses a missing token with 401', async () => {
    expect(await refusedWith(undefined)).toBe(401);
  });

  it('refuses a non-bearer authorization header', async () => {
    const s = await refusedWith('x').catch(() => 0);
    expect(s).toBe(401);
  });

  it('refuses a token signed by another key', async () => {
    const other = await makeKeys();
    expect(await refusedWith(await h.token({ runId: 'r1', request, key: other.privateKey }))).toBe(401);
  });

  it('refuses an expired token', async () => {
    expect(await refusedWith(await h.token({ runId: 'r1', request, iatOffset: -120, lifetime: 30 }))).toBe(
      401,
    );
  });

  it('refuses a token for another host (aud)', async () => {
    expect(await refusedWith(await h.token({ runId: 'r1', request, aud: 'another-host' }))).toBe(401);
  });

  it('refuses a token from another issuer or of another type', async () => {
    expect(await refusedWith(await h.token({ runId: 'r1', request, iss: 'someone-else' }))).toBe(401);
    expect(await refusedWith(await h.token({ runId: 'r1', request, typ: 'JWT' }))).toBe(401);
  });

  it('refuses a token with another algorithm (HS256 keyed with the public key)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(h.keys.publicJwk));
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ run: 'r1', req: await runRequestDigest(request), org: TEST_ORG })
      .setProtectedHeader({ alg: 'HS256', typ: RUN_TOKEN.typ })
      .setIssuer(RUN_TOKEN.issuer)
      .setAudience(h.hostId)
      .setIssuedAt(now)
      .setExpirationTime(now + 30)
      .setJti(randomUUID())
      .sign(secret);
    expect(await refusedWith(token)).toBe(401);
  });

  it('refuses a token that lives longer than 60 s', async () => {
    expect(await refusedWith(await h.token({ runId: 'r1', request, lifetime: 61 }))).toBe(401);
  });

  it('refuses a token without a jti', async () => {
    expect(await refusedWith(await h.token({ runId: 'r1', request, omit: ['jti'] }))).toBe(401);
  });

  it('refuses a token without a valid org', async () => {
    expect(await refusedWith(await h.token({ runId: 'r1', request, omit: ['org'] }))).toBe(401);
    expect(await refusedWith(await h.token({ runId: 'r1', request, org: '' }))).toBe(401);
    expect(await refusedWith(await h.token({ runId: 'r1', request, org: 42 }))).toBe(401);
    expect(await refusedWith(await h.token({ runId: 'r1', request, org: '../other-org' }))).toBe(401);
  });

  it('hands the verified claims, org included, to the run', async () => {
    const verify = await createTokenVerifier({
      publicJwks: [h.keys.publicJwk],
      hostId: h.hostId,
      now: Date.now,
    });
    const runId = uniqueId('run');
    const result = await verify(`Bearer ${await h.token({ runId, request, org: 'org-a' })}`);
    expect(result).toMatchObject({ ok: true, value: { runId, claims: { run: runId, org: 'org-a' } } });
  });

  it('refuses a replayed jti', async () => {
    const jti = randomUUID();
    const token = await h.token({ runId: 'r-replay', request, jti });
    expect(await refusedWith(token)).toBe(101);
    expect(await refusedWith(token)).toBe(401);
    // A fresh token with the same jti is a replay too.
    expect(await refusedWith(await h.token({ runId: 'r-replay2', request, jti }))).toBe(401);
  });
});

describe('messages', () => {
  it('runs a request and numbers every frame', async () => {
    const out = await runOnHost(h, request);
    expect(out.frames.map((f) => f.type)).toEqual(['accepted', 'started', 'stdout', 'exit']);
    expect(out.frames.map((f) => f.seq)).toEqual([0, 1, 2, 3]);
    expect(out.close.code).toBe(CLOSE_CODES.normal);
  });

  it('rejects a run whose request does not match the token digest', async () => {
    const runId = uniqueId('run');
    const s = await connect(h.url, await h.token({ runId, request }));
    s.send({ type: 'run', runId, request: { ...request, code: 'cat /etc/passwd' } });
    const err = await s.next('error');
    expect(err).toMatchObject({ type: 'error', code: 'hash_mismatch' });
    expect((await s.closed).code).toBe(CLOSE_CODES.hashMismatch);
  });

  it('rejects a run whose id does not match the token', async () => {
    const runId = uniqueId('run');
    const s = await connect(h.url, await h.token({ runId, request }));
    s.send({ type: 'run', runId: 'another-run', request });
    expect(await s.next('error')).toMatchObject({ code: 'hash_mismatch' });
    expect((await s.closed).code).toBe(CLOSE_CODES.hashMismatch);
  });

  it('runs one request per token even when two run frames arrive back to back', async () => {
    const runId = uniqueId('run');
    const s = await connect(h.url, await h.token({ runId, request }));
    // Both frames reach the host before the first one's digest is computed.
    s.send({ type: 'run', runId, request });
    s.send({ type: 'run', runId, request });
    const closed = await s.closed;
    // The second frame is refused and the first never starts: no `accepted`, let alone two.
    expect(s.frames).toMatchObject([
      { type: 'error', code: 'bad_request', message: 'one run per connection' },
    ]);
    expect(closed.code).toBe(CLOSE_CODES.badRequest);
  });

  it('accepts the same request with its keys in another order (canonical digest)', async () => {
    const runId = uniqueId('run');
    const s = await connect(h.url, await h.token({ runId, request }));
    s.send({ type: 'run', runId, request: { code: request.code, language: request.language } });
    expect(await s.next('exit')).toMatchObject({ result: { status: 'succeeded', stdout: 'hi\n' } });
  });

  for (const [name, frame] of [
    ['invalid JSON', '{"type": "run", '],
    ['an unknown type', JSON.stringify({ type: 'exec', runId: 'x' })],
    ['a JSON array', '[1,2,3]'],
  ] as const) {
    it(`answers ${name} with bad_request and a close`, async () => {
      const s = await connect(h.url, await h.token({ runId: uniqueId('run'), request }));
      s.send(frame);
      expect(await s.next('error')).toMatchObject({ code: 'bad_request' });
      expect((await s.closed).code).toBe(CLOSE_CODES.badRequest);
    });
  }

  it('answers a schema-invalid request with bad_request', async () => {
    const runId = uniqueId('run');
    const bad = { language: 'bash', code: 'echo', files: [{ name: 'a.sh', content: 'x' }] };
    const s = await connect(h.url, await h.token({ runId, request: bad }));
    s.send({ type: 'run', runId, request: bad });
    expect(await s.next('error')).toMatchObject({ code: 'bad_request' });
    expect((await s.closed).code).toBe(CLOSE_CODES.badRequest);
  });

  it('answers an oversized frame with frame_too_large and a close', async () => {
    const s = await connect(h.url, await h.token({ runId: uniqueId('run'), request }));
    s.send('x'.repeat(LIMITS.maxClientFrameBytes + 10));
    expect(await s.next('error')).toMatchObject({ code: 'frame_too_large' });
    expect((await s.closed).code).toBe(CLOSE_CODES.frameTooLarge);
  });

  it('survives a frame beyond the hard ceiling', async () => {
    const s = await connect(h.url, await h.token({ runId: uniqueId('run'), request }));
    s.send('x'.repeat(LIMITS.maxClientFrameBytes * 2 + 10));
    expect((await s.closed).code).toBe(1009);
    const res = await fetch(`${h.http}/healthz`);
    expect(res.status).toBe(200);
  });

  it('cancels a running program on `cancel`', async () => {
    const runId = uniqueId('run');
    const req = {
      language: 'python',
      code: 'import sys, time\nsys.stdout.write("started\\n")\ntime.sleep(30)',
    };
    const s = await connect(h.url, await h.token({ runId, request: req }));
    s.send({ type: 'run', runId, request: req });
    await s.next('stdout');
    s.send({ type: 'cancel', runId });
    const exit = await s.next('exit');
    expect(exit).toMatchObject({ result: { status: 'cancelled', stdout: 'started\n' } });
    await s.closed;
  });

  it('cancels the run and removes its container when the client disconnects', async () => {
    const runId = uniqueId('run');
    const req = {
      language: 'python',
      code: 'import sys, time\nsys.stdout.write("started\\n")\ntime.sleep(30)',
    };
    const s = await connect(h.url, await h.token({ runId, request: req }));
    s.send({ type: 'run', runId, request: req });
    await s.next('stdout');
    s.ws.terminate();
    await waitFor(() => (h.host.service.running === 0 ? true : undefined), 'the run to end');
    await waitFor(
      () =>
        h.host.service.ownedContainerIds().size <= h.host.pool.idleContainerIds().length ? true : undefined,
      'the container to be removed',
    );
  });

  it('closes an idle connection', async () => {
    const s = await connect(h.url, await h.token({ runId: uniqueId('run'), request }));
    expect((await s.closed).code).toBe(CLOSE_CODES.idleTimeout);
  });

  it('refuses unknown languages', async () => {
    const out = await runOnHost(h, { language: 'cobol', code: 'x' });
    expect(out.error).toMatchObject({ code: 'unsupported_language' });
  });
});

describe('admission', () => {
  it('refuses runs beyond capacity at once with `capacity`', async () => {
    const small = await startTestHost({ MAX_CONCURRENT_RUNS: '1', MAX_QUEUED_RUNS: '1', POOL_SIZE: '0' });
    try {
      const slow = { language: 'bash', code: 'echo go; sleep 5' };
      const sessions = [];
      for (let i = 0; i < 2; i++) {
        const runId = uniqueId('run');
        const s = await connect(small.url, await small.token({ runId, request: slow }));
        s.send({ type: 'run', runId, request: slow });
        await s.next('accepted');
        sessions.push(s);
      }
      expect(sessions[1]?.frames[0]).toMatchObject({ type: 'accepted', queued: true });
      const out = await runOnHost(small, slow);
      expect(out.error).toMatchObject({ code: 'capacity' });
      expect(out.close.code).toBe(CLOSE_CODES.capacity);
      for (const s of sessions) s.send({ type: 'cancel', runId: s.frames[0]?.runId });
      for (const s of sessions) expect((await s.next('exit')).type).toBe('exit');
    } finally {
      await small.close();
    }
    expect(await containersOf(small.hostId)).toEqual([]);
  });
});
