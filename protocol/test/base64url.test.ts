import { describe, expect, it } from 'vitest';
import { decodeBase64Lenient, decodeBase64Url, encodeBase64Url } from '../src/index.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('base64url', () => {
  it('round-trips every length 0-64 and every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let n = 0; n <= 64; n++) {
      const input = all.slice(n, 2 * n);
      expect(decodeBase64Url(encodeBase64Url(input))).toEqual(input);
      expect(decodeBase64Lenient(encodeBase64Url(input))).toEqual(input);
    }
    expect(decodeBase64Url(encodeBase64Url(all))).toEqual(all);
  });

  it('uses the URL alphabet without padding (RFC 4648 §5 test vectors)', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(encodeBase64Url(text(''))).toBe('');
    expect(encodeBase64Url(text('f'))).toBe('Zg');
    expect(encodeBase64Url(text('fo'))).toBe('Zm8');
    expect(encodeBase64Url(text('foo'))).toBe('Zm9v');
    expect(encodeBase64Url(text('foobar'))).toBe('Zm9vYmFy');
    // 0xfb 0xff encodes to "+/8=" in standard base64.
    expect(encodeBase64Url(bytes(0xfb, 0xff))).toBe('-_8');
    expect(decodeBase64Url('-_8')).toEqual(bytes(0xfb, 0xff));
  });

  it('strict decoding refuses padding, the standard alphabet, junk and impossible lengths', () => {
    for (const bad of ['Zg==', '+/8', 'Zm9v!', 'Zm9 v', 'A', 'Zm9vY', '\u00e9']) {
      expect(decodeBase64Url(bad)).toBeNull();
    }
    expect(decodeBase64Url('')).toEqual(new Uint8Array());
  });

  it('lenient decoding takes either alphabet, padded or not, and still refuses junk', () => {
    expect(decodeBase64Lenient('+/8=')).toEqual(bytes(0xfb, 0xff));
    expect(decodeBase64Lenient('+/8')).toEqual(bytes(0xfb, 0xff));
    expect(decodeBase64Lenient('-_8=')).toEqual(bytes(0xfb, 0xff));
    for (const bad of ['Zm9v!', 'Zm 9v', 'A', 'Zg===', '=Zg']) expect(decodeBase64Lenient(bad)).toBeNull();
  });
});
