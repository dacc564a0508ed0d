import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';

/**
 * Strict headers on every response, errors, redirects and 404s included (seed 000 "Infrastructure &
 * Network"). It runs outermost (after the request id) and writes after `next()`, so nothing answered
 * by a later middleware or by the error handler escapes it. Hono's `secureHeaders` defaults are
 * weaker (HSTS 180 days, no CSP), hence this list.
 */

/** For JSON API responses: nothing may load, nothing may frame us. */
const API_CSP = "default-src 'none'; frame-ancestors 'self'";
/**
 * For the console's HTML (issue 16): own scripts and styles only, no inline anything, no eval, and
 * Trusted Types required with no policy allowed, so no string can reach an HTML or script sink
 * (innerHTML, eval-like) even by mistake. connect-src names the run stream's ws(s) origin, which
 * `'self'` covers only in CSP 3 browsers.
 */
function htmlCsp(requestUrl: string): string {
  const url = new URL(requestUrl);
  const streamOrigin = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
  return (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    `connect-src 'self' ${streamOrigin}; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; ` +
    "object-src 'none'; manifest-src 'self'; require-trusted-types-for 'script'; trusted-types 'none'"
  );
}

const PERMISSIONS_POLICY = [
  'accelerometer',
  'autoplay',
  'camera',
  'display-capture',
  'encrypted-media',
  'fullscreen',
  'geolocation',
  'gyroscope',
  'hid',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'picture-in-picture',
  'publickey-credentials-get',
  'screen-wake-lock',
  'serial',
  'usb',
  'xr-spatial-tracking',
]
  .map((feature) => `${feature}=()`)
  .join(', ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Frame-Options': 'SAMEORIGIN',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': PERMISSIONS_POLICY,
  'X-Permitted-Cross-Domain-Policies': 'none',
});

const REMOVED = ['X-Powered-By', 'Server'];

export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async function securityHeaders(c, next) {
    await next();
    // A WebSocket upgrade response (status 101) has immutable headers and is no document.
    if (c.res.status === 101) return;
    const headers = c.res.headers;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
    const isHtml = headers.get('Content-Type')?.startsWith('text/html') ?? false;
    headers.set('Content-Security-Policy', isHtml ? htmlCsp(c.req.url) : API_CSP);
    for (const name of REMOVED) headers.delete(name);
  };
}
