import type { Context } from 'hono';
import type { AppEnv } from '../env.ts';

/** What we record about the caller. */
export interface ClientContext {
  /** From `CF-Connecting-IP` only: Cloudflare sets it and strips a client's copy; X-Forwarded-For is forgeable. */
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export function clientContext(c: Context<AppEnv>): ClientContext {
  return {
    ip: c.req.header('cf-connecting-ip') ?? null,
    userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
    requestId: c.get('requestId'),
  };
}
