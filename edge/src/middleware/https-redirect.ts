import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';

/** Loopback names that local development uses over plain HTTP. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * HTTPS only: a plain-HTTP request gets a 301 to the same URL on https, path and query kept. Loopback
 * hosts are exempt while `HTTP_LOOPBACK_ALLOWED` is on (a public Worker route never sees a loopback
 * Host, so the exemption cannot be reached from the internet).
 */
export function httpsRedirect(): MiddlewareHandler<AppEnv> {
  return async function httpsRedirect(c, next) {
    const { httpsOnly, httpLoopbackAllowed } = c.get('config');
    const url = new URL(c.req.url);
    if (httpsOnly && url.protocol === 'http:' && !(httpLoopbackAllowed && isLoopbackHost(url.hostname))) {
      url.protocol = 'https:';
      url.port = '';
      return c.redirect(url.toString(), 301);
    }
    await next();
  };
}
