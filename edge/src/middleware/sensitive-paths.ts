import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';

/** Files that exist in the repository or on typical servers and must never be served or probed. */
const BLOCKED_NAMES = new Set(['wrangler.toml', 'wrangler.json', 'wrangler.jsonc']);

/**
 * True for `/.env`, `/.env.*`, `/.git/...`, `/.htaccess`, `/.htpasswd`, `/.DS_Store`, `/.dev.vars`,
 * `/wrangler.toml` and any path with a segment starting with "." other than a leading `/.well-known/`.
 * Segments are checked both raw and percent-decoded, so `/%2eenv` is caught too.
 */
function isSensitivePath(rawPath: string): boolean {
  const segments = rawPath.split('/').filter((s) => s.length > 0);
  return segments.some((raw, index) => {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return true; // undecodable: nobody legitimate sends it
    }
    const lower = segment.toLowerCase();
    if (index === 0 && lower === '.well-known') return false;
    return lower.startsWith('.') || segment.includes('/') || BLOCKED_NAMES.has(lower);
  });
}

/** Answers sensitive paths with the standard 404 before any route runs. */
export function sensitivePaths(): MiddlewareHandler<AppEnv> {
  return async function sensitivePaths(c, next) {
    if (isSensitivePath(new URL(c.req.url).pathname)) {
      c.get('logger').warn('sensitive path blocked', { path: c.req.path.slice(0, 200) });
      throw new ApiError('not_found');
    }
    await next();
  };
}
