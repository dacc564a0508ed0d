import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, runRequestDigest } from '../src/index.ts';

describe('canonicalJson', () => {
  it('sorts keys recursively, drops undefined members, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('writes undefined array items as null, like JSON.stringify', () => {
    expect(canonicalJson([1, undefined, null])).toBe('[1,null,null]');
  });

  it('sorts by code unit, not by locale', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, é: 4 })).toBe('{"B":2,"a":3,"b":1,"é":4}');
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson({ s: 'a"b\\c\n\u0000' })).toBe(JSON.stringify({ s: 'a"b\\c\n\u0000' }));
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
  });
});

describe('runRequestDigest', () => {
  const request = { language: 'python', code: 'print("héllo")', args: ['a', 'b'] };

  it('is the base64url SHA-256 of the canonical JSON (checked against node:crypto)', async () => {
    const expected = createHash('sha256').update(canonicalJson(request), 'utf8').digest('base64url');
    expect(await runRequestDigest(request)).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('does not depend on key order, and changes with any value', async () => {
    const reordered = { args: ['a', 'b'], code: request.code, language: 'python' };
    expect(await runRequestDigest(reordered)).toBe(await runRequestDigest(request));
    expect(await runRequestDigest({ ...request, args: ['b', 'a'] })).not.toBe(
      await runRequestDigest(request),
    );
    expect(await runRequestDigest({ ...request, stdin: '' })).not.toBe(await runRequestDigest(request));
  });
});
