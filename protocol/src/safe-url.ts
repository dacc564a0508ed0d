/**
 * `safeUrl()`: the one check a URL from model output or run output passes before it goes into an
 * `href` or `src` (DESIGN.md rule 4). An allowlist, not a blocklist: the URL must be absolute and its
 * scheme, as the WHATWG URL parser (the browser's own) reads it, one of `https:`, `http:`, `mailto:`.
 * Relative and protocol-relative URLs (`//host`, `/\host`, `\\host`) are refused: model output has no
 * base URL to be relative to, and those are how a link leaves for another host. Control characters,
 * whitespace and invisible characters anywhere are refused outright rather than normalized, since
 * each browser strips a different set of them from a scheme (`java\tscript:`). Credentials in the
 * URL (`https://bank.example@evil.example`) are refused too.
 *
 * Returns the parser's serialization (quotes, `<`, `>` and spaces percent-encoded, so it is safe in
 * an attribute value), or `undefined` when the URL is not allowed. Web APIs only: runs in browsers,
 * Workers and Node alike.
 */
export const SAFE_URL_SCHEMES = ['https:', 'http:', 'mailto:'] as const;

/** Longer than any link worth rendering; beyond it, refuse rather than parse. */
export const SAFE_URL_MAX_LENGTH = 2048;

/** Controls (C0, C1), format characters (zero-width, bidi, BOM, soft hyphen) and every space. */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Z}]/u;

/** A scheme written out at the start, as RFC 3986 spells one. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

export function safeUrl(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const text = input.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '');
  if (text.length === 0 || text.length > SAFE_URL_MAX_LENGTH || FORBIDDEN.test(text)) return undefined;
  // Without a scheme of its own the URL would be relative to wherever it is rendered.
  if (!SCHEME.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!(SAFE_URL_SCHEMES as readonly string[]).includes(url.protocol)) return undefined;
  if (url.protocol !== 'mailto:' && (url.username !== '' || url.password !== '' || url.hostname === '')) {
    return undefined;
  }
  return url.href;
}
