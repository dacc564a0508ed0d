/** Pure pieces: protocol schemas and digest, replay cache (stream and scheduler: stream.test.ts, scheduler.test.ts). */

import {
  ClientMessageSchema,
  canonicalJson,
  HostMessageSchema,
  LIMITS,
  RunRequestSchema,
  runRequestDigest,
} from '@airlock/protocol';
import { describe, expect, it } from 'vitest';
import { ReplayCache } from '../src/server/auth.ts';

describe('protocol', () => {
  it('digests requests canonically (key order does not matter, content does)', async () => {
    const a = await runRequestDigest({
      language: 'python',
      code: 'print(1)',
      limits: { timeoutMs: 1000, memoryMb: 64 },
    });
    const b = await runRequestDigest({
      limits: { memoryMb: 64, timeoutMs: 1000 },
      code: 'print(1)',
      language: 'python',
    });
    const c = await runRequestDigest({
      language: 'python',
      code: 'print(2)',
      limits: { timeoutMs: 1000, memoryMb: 64 },
    });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('canonical JSON sorts keys recursively and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('requires exactly one of code and files', () => {
    expect(RunRequestSchema.safeParse({ language: 'python', code: 'x' }).success).toBe(true);
    expect(RunRequestSchema.safeParse({ language: 'python' }).success).toBe(false);
    expect(
      RunRequestSchema.safeParse({ language: 'python', code: 'x', files: [{ name: 'a.py', content: '' }] })
        .success,
    ).toBe(false);
  });

  it('enforces the size limits and unknown keys', () => {
    const big = 'x'.repeat(LIMITS.maxCodeBytes + 1);
    expect(RunRequestSchema.safeParse({ language: 'python', code: big }).success).toBe(false);
    expect(
      RunRequestSchema.safeParse({
        language: 'python',
        code: 'x',
        stdin: 'y'.repeat(LIMITS.maxStdinBytes + 1),
      }).success,
    ).toBe(false);
    expect(
      RunRequestSchema.safeParse({ language: 'python', code: 'x', limits: { timeoutMs: 15_001 } }).success,
    ).toBe(false);
    expect(RunRequestSchema.safeParse({ language: 'python', code: 'x', extra: 1 }).success).toBe(false);
    expect(RunRequestSchema.safeParse({ language: 'python', code: 'x', args: ['a\0b'] }).success).toBe(false);
  });

  it('parses the message union by type', () => {
    expect(ClientMessageSchema.safeParse({ type: 'cancel', runId: 'r1' }).success).toBe(true);
    expect(ClientMessageSchema.safeParse({ type: 'kill', runId: 'r1' }).success).toBe(false);
    expect(HostMessageSchema.safeParse({ type: 'stdout', runId: 'r1', seq: 3, data: 'x' }).success).toBe(
      true,
    );
    expect(HostMessageSchema.safeParse({ type: 'stdout', runId: 'r1', data: 'x' }).success).toBe(false);
  });
});

describe('ReplayCache', () => {
  it('refuses a jti until it has expired', () => {
    const cache = new ReplayCache();
    expect(cache.use('a', 10_000, 0)).toBe(true);
    expect(cache.use('a', 10_000, 5_000)).toBe(false);
    expect(cache.use('b', 10_000, 5_000)).toBe(true);
    cache.prune(60_000);
    expect(cache.size).toBe(0);
  });
});
