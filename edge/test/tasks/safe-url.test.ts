/**
 * `safeUrl()` (protocol/src/safe-url.ts) against hostile URLs: the OWASP XSS Filter Evasion Cheat
 * Sheet's URL cases (scheme case mixing, embedded tab/newline/CR and their entity forms, decimal and
 * hex entity encodings, null bytes, leading spaces and meta chars, vbscript/livescript/data schemes)
 * plus protocol-relative and credential tricks. Only http(s) and mailto pass.
 */
import { safeUrl } from '@airlock/protocol/safe-url';
import { describe, expect, it } from 'vitest';

const HOSTILE: string[] = [
  "javascript:alert('XSS')",
  "JaVaScRiPt:alert('XSS')",
  'JAVASCRIPT:alert(1)',
  'javascript://%0Aalert(1)',
  'javascript:/*--></title></style></textarea></script></xmp><svg/onload=alert(1)>',
  '&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;',
  '&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)',
  '&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29',
  "jav\tascript:alert('XSS');",
  "jav&#x09;ascript:alert('XSS');",
  "jav&#x0A;ascript:alert('XSS');",
  "jav&#x0D;ascript:alert('XSS');",
  "java\nscript:alert('XSS')",
  "java\rscript:alert('XSS')",
  "java\u0000script:alert('XSS')",
  "\u0000javascript:alert('XSS')",
  " &#14;  javascript:alert('XSS');",
  "  javascript:alert('XSS')",
  "\u00a0javascript:alert('XSS')",
  "\u200bjavascript:alert('XSS')",
  "\ufeffjavascript:alert('XSS')",
  "java\u00adscript:alert('XSS')",
  "ｊavascript:alert('XSS')",
  'javascript&colon;alert(1)',
  'java%0ascript:alert(1)',
  'javascript\t:alert(1)',
  'vbscript:msgbox("XSS")',
  'VBScript:msgbox("XSS")',
  'livescript:[code]',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K',
  'DATA:text/html,<script>alert(1)</script>',
  'data:image/svg+xml,<svg onload=alert(1)>',
  'file:///etc/passwd',
  'blob:https://example.com/uuid',
  'about:blank',
  '//evil.example/xss.js',
  '///evil.example',
  '\\\\evil.example\\x',
  '/\\evil.example',
  '/relative/path',
  'relative.html',
  '#fragment',
  '?q=1',
  'https://bank.example@evil.example/',
  'http://user:pass@evil.example/',
  'https:',
  'http:///',
  '',
  'x'.repeat(3000),
];

const FRIENDLY: [string, string][] = [
  ['https://example.com/docs?q=1#top', 'https://example.com/docs?q=1#top'],
  ['http://example.com', 'http://example.com/'],
  ['HTTPS://EXAMPLE.COM/Path', 'https://example.com/Path'],
  ['mailto:someone@example.com', 'mailto:someone@example.com'],
  ['  https://example.com/  ', 'https://example.com/'],
  // Markup in a path or query comes back percent-encoded: inert inside an attribute value.
  [
    'https://example.com/"><script>alert(1)</script>',
    'https://example.com/%22%3E%3Cscript%3Ealert(1)%3C/script%3E',
  ],
];

describe('safeUrl()', () => {
  it.each(HOSTILE.map((u) => [JSON.stringify(u).slice(0, 80), u]))('refuses %s', (_label, url) => {
    expect(safeUrl(url)).toBeUndefined();
  });

  it.each(FRIENDLY)('allows %s', (url, expected) => {
    expect(safeUrl(url)).toBe(expected);
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 42, {}, ['https://example.com']])
      expect(safeUrl(value)).toBeUndefined();
  });
});
