import type { Database } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';
import type { ClientContext } from '../lib/request-context.ts';

/**
 * The only writer of the append-only audit log (the table refuses UPDATE and DELETE by trigger).
 * Metadata must never hold secrets: pass ids and outcomes, never tokens, keys or passwords.
 */
export interface AuditEntry {
  action: string;
  outcome?: 'success' | 'failure';
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  orgId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  metadata?: Record<string, unknown>;
}

export async function appendAudit(
  db: Database,
  client: ClientContext,
  entry: AuditEntry,
  now: number,
): Promise<void> {
  await db.insert(auditLog).values({
    id: crypto.randomUUID(),
    at: now,
    action: entry.action,
    outcome: entry.outcome ?? 'success',
    actorUserId: entry.actorUserId ?? null,
    actorApiKeyId: entry.actorApiKeyId ?? null,
    orgId: entry.orgId ?? null,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: client.ip,
    userAgent: client.userAgent,
    requestId: client.requestId,
    metadata: entry.metadata ?? {},
  });
}
