import type { Context } from 'hono';
import type { Database } from '../db/client.ts';
import type { AppEnv } from '../env.ts';
import { type AuditEntry, appendAudit, appendAuditIf } from '../repositories/audit.ts';
import { clientContext } from './request-context.ts';

/**
 * The one way routes and middleware write audit rows (repositories/audit.ts is the only writer of the
 * table; this fills in the request). IP, user agent and request id come from the context, and so do
 * the actor (user, and API key if that is how they came) and the organization (the request's, unless
 * the entry names one), so a route cannot forget them. Only a route acting before anyone is
 * authenticated (sign-up, sign-in, refresh, password reset) names the actor user itself.
 * Entries carry ids, never secrets.
 */
export function auditRequest(
  c: Context<AppEnv>,
  db: Database,
  entry: Omit<AuditEntry, 'actorApiKeyId'>,
  now: number,
): Promise<void> {
  return appendAudit(db, clientContext(c), fromRequest(c, entry), now);
}

/**
 * auditRequest's entry, unexecuted and written only if `guard` finds a row: for a D1 batch right after
 * the insert it records (repositories/audit.ts `appendAuditIf`).
 */
export function auditRequestIf(
  c: Context<AppEnv>,
  db: Database,
  entry: Omit<AuditEntry, 'actorApiKeyId'>,
  now: number,
  guard: Parameters<typeof appendAuditIf>[4],
) {
  return appendAuditIf(db, clientContext(c), fromRequest(c, entry), now, guard);
}

function fromRequest(c: Context<AppEnv>, entry: Omit<AuditEntry, 'actorApiKeyId'>): AuditEntry {
  const principal = c.get('principal');
  return {
    ...entry,
    actorUserId: principal?.userId ?? entry.actorUserId ?? null,
    actorApiKeyId: principal?.kind === 'api_key' ? principal.apiKeyId : null,
    orgId: entry.orgId !== undefined ? entry.orgId : (c.get('org')?.id ?? null),
  };
}
