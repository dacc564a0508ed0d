/**
 * The pure pieces of runs (issue 5): host selection, the replay buffer, stream tickets, the list
 * cursor, the stored-result fit and the run token (verified here the way the host verifies it).
 */
import { LIMITS, RUN_TOKEN, type RunResult, RunTokenClaimsSchema, runRequestDigest } from '@airlock/protocol';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { hostRunUrl } from '../../src/domain/runs/config.ts';
import { edgeResult, fitForStorage, type StreamFrame } from '../../src/domain/runs/frames.ts';
import {
  EMPTY_HOST_STATE,
  HOST_BACKOFF_MS,
  LEASE_TTL_MS,
  markFailed,
  release,
  selectHost,
} from '../../src/domain/runs/host-selection.ts';
import { ReplayBuffer } from '../../src/domain/runs/replay-buffer.ts';
import { hashTicket, isTicketShaped, newTicket, ticketUsable } from '../../src/domain/runs/stream-ticket.ts';
import { importSigningKey, mintRunToken } from '../../src/domain/runs/token.ts';
import { transferDeadlineMs } from '../../src/domain/runs/transfer.ts';
import { decodeCursor, encodeCursor } from '../../src/services/run-list.ts';

const A = { id: 'a', url: 'ws://127.0.0.1:1' };
const B = { id: 'b', url: 'wss://b.example:8790/' };

describe('file transfer deadline', () => {
  const rule = { floorMs: 10_000, minBytesPerSecond: 1024 * 1024 };
  it('is the time the declared bytes take at the slowest allowed link', () => {
    expect(transferDeadlineMs(64 * 1024 * 1024, rule)).toBe(64_000);
    expect(transferDeadlineMs(64 * 1024 * 1024 + 1, rule)).toBe(64_001);
  });
  it("is never below the floor (small files, the host's digest checks)", () => {
    expect(transferDeadlineMs(1, rule)).toBe(10_000);
    expect(transferDeadlineMs(0, rule)).toBe(10_000);
  });
});

describe('host selection', () => {
  it('picks the least loaded host, ties to the first listed', () => {
    const first = selectHost([A, B], EMPTY_HOST_STATE, 'r1', 0);
    expect(first.ok && first.host.id).toBe('a');
    if (!first.ok) return;
    const second = selectHost([A, B], first.state, 'r2', 0);
    expect(second.ok && second.host.id).toBe('b');
    if (!second.ok) return;
    const third = selectHost([A, B], release(second.state, 'r1'), 'r3', 0);
    expect(third.ok && third.host.id).toBe('a');
  });

  it('skips hosts in back-off and excluded hosts; expired leases stop counting', () => {
    const failed = markFailed(EMPTY_HOST_STATE, 'a', 0);
    const s1 = selectHost([A, B], failed, 'r1', 1);
    expect(s1.ok && s1.host.id).toBe('b');
    const s2 = selectHost([A, B], failed, 'r1', HOST_BACKOFF_MS + 1);
    expect(s2.ok && s2.host.id).toBe('a');
    expect(selectHost([A, B], EMPTY_HOST_STATE, 'r1', 0, new Set(['a', 'b']))).toEqual({
      ok: false,
      reason: 'all_unhealthy',
    });
    expect(selectHost([], EMPTY_HOST_STATE, 'r1', 0)).toEqual({ ok: false, reason: 'no_hosts' });
    // Everything in back-off: still try one rather than fail without trying.
    const both = markFailed(markFailed(EMPTY_HOST_STATE, 'a', 0), 'b', 10);
    const s3 = selectHost([A, B], both, 'r1', 20);
    expect(s3.ok && s3.host.id).toBe('a');
    const loaded = selectHost([A, B], EMPTY_HOST_STATE, 'r1', 0);
    if (!loaded.ok) throw new Error('no host');
    const later = selectHost([A, B], loaded.state, 'r2', LEASE_TTL_MS + 1);
    expect(later.ok && later.host.id).toBe('a');
  });

  it('derives the run socket URL from the configured base URL', () => {
    expect(hostRunUrl(A)).toBe('http://127.0.0.1:1/run');
    expect(hostRunUrl(B)).toBe('https://b.example:8790/run');
  });
});

describe('replay buffer', () => {
  const out =
    (data: string) =>
    (seq: number): StreamFrame => ({ type: 'stdout', seq, runId: 'r', data });

  it('numbers frames and replays those after a seq', () => {
    const buffer = new ReplayBuffer();
    for (const d of ['a', 'b', 'c']) buffer.append(out(d));
    expect(buffer.after(undefined).map((f) => f.seq)).toEqual([0, 1, 2]);
    expect(buffer.after(0).map((f) => f.seq)).toEqual([1, 2]);
    expect(buffer.after(2)).toEqual([]);
    expect(buffer.nextSeq).toBe(3);
  });

  it('stays within its budget by dropping the oldest output, keeping the rest in order', () => {
    const buffer = new ReplayBuffer(1000);
    buffer.append((seq) => ({ type: 'started', seq, runId: 'r', startedAt: 'now' }));
    for (let i = 0; i < 10; i++) buffer.append(out('x'.repeat(200)));
    const kept = buffer.after(undefined);
    expect(kept[0]?.type).toBe('started');
    expect(kept.at(-1)?.seq).toBe(10);
    expect(kept.length).toBeLessThan(11);
    expect(buffer.dropped).toBe(11 - kept.length);
  });

  it('restores from stored frames in seq order', () => {
    const frames = [out('b')(1), out('a')(0)];
    const buffer = new ReplayBuffer(undefined, frames);
    expect(buffer.after(undefined).map((f) => f.seq)).toEqual([0, 1]);
    expect(buffer.nextSeq).toBe(2);
  });
});

describe('stream tickets', () => {
  it('are 256-bit random, shaped, stored hashed and expire after their TTL', async () => {
    const ticket = newTicket((n) => crypto.getRandomValues(new Uint8Array(n)));
    expect(isTicketShaped(ticket)).toBe(true);
    expect(isTicketShaped(`${ticket}x`)).toBe(false);
    expect(isTicketShaped(null)).toBe(false);
    const hash = await hashTicket(ticket);
    expect(hash).not.toContain(ticket.slice(3));
    expect(ticketUsable(1000, 999)).toBe(true);
    expect(ticketUsable(1000, 1000)).toBe(false);
    expect(ticketUsable(undefined, 0)).toBe(false);
  });
});

describe('list cursor', () => {
  it('round-trips and rejects junk', () => {
    const cursor = { createdAt: 1_700_000_000_000, id: 'b3c1e6a2-0000-4000-8000-000000000000' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor('not a cursor')).toBeUndefined();
    expect(decodeCursor(btoa('1:x;DROP TABLE runs'))).toBeUndefined();
  });
});

describe('results', () => {
  const base: RunResult = edgeResult('host_lost', {
    startedAt: 1000,
    now: 1500,
    stdout: 'so far',
    stderr: '',
  });

  it('an edge-made result keeps the output streamed before the failure', () => {
    expect(base).toMatchObject({ status: 'host_lost', stdout: 'so far', wallMs: 500, exitCode: null });
  });

  it('a result too large for one D1 row is cut, with truncation flags', () => {
    const full = {
      ...base,
      stdout: 'o'.repeat(LIMITS.maxOutputBytes),
      stderr: 'e'.repeat(LIMITS.maxOutputBytes),
    };
    const fitted = fitForStorage(full);
    expect(fitted.stdout.length + fitted.stderr.length).toBeLessThanOrEqual(1_800_000);
    expect(fitted.stdoutTruncated || fitted.stderrTruncated).toBe(true);
    expect(fitForStorage(base)).toEqual(base);
  });
});

describe('run token', () => {
  it('is what the host verifies: EdDSA, typ, iss, aud = host id, ≤ 60 s, jti, run, request digest, org', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const key = await importSigningKey(JSON.stringify(await exportJWK(privateKey)));
    const request = { language: 'python', code: 'print(1)' };
    const now = Date.now();
    const token = await mintRunToken({
      key,
      hostId: 'h1',
      runId: 'run-1',
      orgId: 'org-1',
      request,
      now,
      jti: 'j1',
    });
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, {
      algorithms: ['EdDSA'],
      typ: RUN_TOKEN.typ,
      issuer: RUN_TOKEN.issuer,
      audience: 'h1',
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toMatchObject({
      run: 'run-1',
      jti: 'j1',
      req: await runRequestDigest(request),
      org: 'org-1',
    });
    expect(RunTokenClaimsSchema.safeParse(payload).success).toBe(true);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(RUN_TOKEN.maxLifetimeSeconds);
    await expect(importSigningKey(JSON.stringify(await exportJWK(publicKey)))).rejects.toThrow(/private/);
  });
});
