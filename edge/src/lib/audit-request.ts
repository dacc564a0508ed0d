import type { Context } from 'hono';
import type { Database } from '../db/client.ts';
import type { AppEnv } from '../env.ts';
import { type AuditEntry, appendAudit } from '../repositories/audit.ts';
import { clientContext } from './request-context.ts';

/**
 * Audits an action of the current request: actor (user, and API key if that is how they came),
 * organization (the request's, unless the entry names one), IP, user agent and request id come from
 * the context, so a route cannot forget them. Entries carry ids, never secrets.
 */
export function auditRequest(
  c: Context<AppEnv>,
  db: Database,
  entry: Omit<AuditEntry, 'actorUserId' | 'actorApiKeyId'>,
  now: number,
): Promise<void> {
  const principal = c.get('principal');
  return appendAudit(
    db,
    clientContext(c),
    {
      ...entry,
      actorUserId: principal?.userId ?? null,
      actorApiKeyId: principal?.kind === 'api_key' ? principal.apiKeyId : null,
      orgId: entry.orgId !== undefined ? entry.orgId : (c.get('org')?.id ?? null),
    },
    now,
  );
}
