import { and, desc, eq, getTableColumns, lt, type SQL, sql } from 'drizzle-orm';
import type { AnySQLiteTable } from 'drizzle-orm/sqlite-core';
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

function auditRow(client: ClientContext, entry: AuditEntry, now: number): typeof auditLog.$inferInsert {
  return {
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
  };
}

export async function appendAudit(
  db: Database,
  client: ClientContext,
  entry: AuditEntry,
  now: number,
): Promise<void> {
  await db.insert(auditLog).values(auditRow(client, entry, now));
}

/**
 * The same entry, unexecuted and written only if `guard` finds a row (`INSERT … SELECT … WHERE`):
 * batched right after the insert it records, the two cost one D1 round trip, and an insert that was
 * refused (a cap) leaves no entry behind.
 */
export function appendAuditIf(
  db: Database,
  client: ClientContext,
  entry: AuditEntry,
  now: number,
  guard: { from: AnySQLiteTable; where: SQL },
) {
  const row: Record<string, unknown> = auditRow(client, entry, now);
  // INSERT … SELECT names every column of the table, in order: each value a bound parameter, encoded
  // by its column as an insert would (the metadata column's JSON mode, say).
  const values = Object.entries(getTableColumns(auditLog)).map(([key, column]) =>
    sql.param(row[key] ?? null, column),
  );
  return db
    .insert(auditLog)
    .select(sql`SELECT ${sql.join(values, sql`, `)} FROM ${guard.from} WHERE ${guard.where}`);
}

export type AuditRow = typeof auditLog.$inferSelect;

/** One organization's audit entries, newest first (the org id is the tenant boundary). */
export async function listOrgAudit(
  db: Database,
  scope: { orgId: string },
  page: { limit: number; before?: number },
): Promise<AuditRow[]> {
  const where =
    page.before === undefined
      ? eq(auditLog.orgId, scope.orgId)
      : and(eq(auditLog.orgId, scope.orgId), lt(auditLog.at, page.before));
  return db
    .select()
    .from(auditLog)
    .where(where)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(page.limit)
    .all();
}
