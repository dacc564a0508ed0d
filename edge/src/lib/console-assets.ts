import type { Context } from 'hono';
import type { AppEnv } from '../env.ts';

/**
 * The web console (issue 16): static files behind the ASSETS binding (wrangler.toml [assets],
 * run_worker_first, so every response passes the security-headers middleware). Only the console's
 * own pages and its bundle directory are served from there; every other unknown path stays the
 * API's JSON 404, so a typo under the API never turns into a 200 HTML page.
 * The page list mirrors the routes in console/src/app.tsx (a page added there is added here).
 */
const CONSOLE_PAGES = [
  '/runs',
  '/tasks',
  '/files',
  '/account',
  '/orgs',
  '/provider-keys',
  '/api-keys',
  '/admin',
  // The pages the edge's mails link to (PASSWORD_RESET_URL, EMAIL_VERIFICATION_URL).
  '/verify-email',
  '/reset-password',
];
const BUNDLE_DIR = '/assets/';

export type ConsoleTarget = 'page' | 'bundle' | null;

export function consoleTarget(path: string): ConsoleTarget {
  if (path === '/' || path === '/index.html') return 'page';
  if (CONSOLE_PAGES.some((p) => path === p || path.startsWith(`${p}/`))) return 'page';
  if (path.startsWith(BUNDLE_DIR)) return 'bundle';
  return null;
}

/**
 * A console page (always index.html: the console routes in the browser) or a bundle file, in a fresh
 * Response so the security-headers middleware can set headers on it. The HTML is revalidated on every
 * load (it names the hashed bundles and their SRI digests); hashed bundles may be cached for good.
 */
export async function serveConsole(c: Context<AppEnv>, target: 'page' | 'bundle'): Promise<Response> {
  const url = new URL(c.req.url);
  if (target === 'page') url.pathname = '/';
  url.search = '';
  const upstream = await c.env.ASSETS.fetch(new Request(url, { method: c.req.method }));
  const res = new Response(upstream.body, upstream);
  if (target === 'page') res.headers.set('Cache-Control', 'no-cache');
  else if (res.ok) res.headers.set('Cache-Control', 'public, max-age=31536000, immutable');
  return res;
}
