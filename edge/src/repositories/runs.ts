import { pickRunOutcome, type RunResult, type RunStatus } from '@airlock/protocol';
import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { runs } from '../db/schema.ts';
import { FIXED } from '../limits.ts';
import type { Scope } from './scope.ts';

/**
 * The only code that reads or writes runs. Every query is scoped by organization and user: another
 * tenant's run id finds nothing (the route answers 404, never 403). The final result is written with
 * a guard on the status, so it lands exactly once even if two writers race.
 */

/** The tenant scope (repositories/scope.ts), under the name its callers use. */
export type RunScope = Scope;

export type RunRow = typeof runs.$inferSelect;

/** Statuses of a run still in progress. */
export const ACTIVE_STATUSES = ['queued', 'running'] as const;

export interface NewRun {
  id: string;
  language: string;
  apiKeyId: string | null;
  /** Set when the run is an attempt of an AI task. */
  taskId?: string | null;
}

/**
 * Inserts the run as `queued` unless the organization already has `cap` runs in progress; one
 * statement, so two concurrent creations cannot both slip under the cap. Unexecuted, so it can lead a
 * D1 batch (run creation sends its audit entry along); `insertedRun` reads its answer (false at a cap).
 */
export function insertRunUnderCap(
  db: Database,
  scope: RunScope,
  run: NewRun,
  cap: number,
  now: number,
  /** Issue 12: runs in progress per user across all their organizations (default: no user cap). */
  userCap: number = Number.MAX_SAFE_INTEGER,
) {
  return db.run(sql`
    INSERT INTO runs (id, org_id, user_id, api_key_id, language, status, created_at, task_id)
    SELECT ${run.id}, ${scope.orgId}, ${scope.userId}, ${run.apiKeyId}, ${run.language}, 'queued', ${now}, ${run.taskId ?? null}
    WHERE (
      SELECT count(*) FROM runs
      WHERE org_id = ${scope.orgId} AND status IN ('queued', 'running') AND created_at > ${now - FIXED.activeRunHorizonMs}
    ) < ${cap} AND (
      SELECT count(*) FROM runs
      WHERE user_id = ${scope.userId} AND status IN ('queued', 'running') AND created_at > ${now - FIXED.activeRunHorizonMs}
    ) < ${userCap}`);
}

export const insertedRun = (result: D1Result): boolean => (result.meta.changes ?? 0) > 0;

export async function markRunStarted(
  db: Database,
  scope: RunScope,
  id: string,
  hostId: string,
  startedAt: number,
): Promise<void> {
  await db
    .update(runs)
    .set({ status: 'running', hostId, startedAt })
    .where(
      and(
        eq(runs.id, id),
        eq(runs.orgId, scope.orgId),
        eq(runs.userId, scope.userId),
        eq(runs.status, 'queued'),
      ),
    );
}

/** Writes the final result once; false when the run was already final. */
export async function finishRun(
  db: Database,
  scope: RunScope,
  id: string,
  result: RunResult,
  hostId: string | null,
): Promise<boolean> {
  const rows = await db
    .update(runs)
    .set({
      status: result.status,
      hostId,
      // The columns carry the result's names; D1 keeps whole milliseconds.
      ...pickRunOutcome(result),
      wallMs: Math.round(result.wallMs),
      cpuMs: result.cpuMs === null ? null : Math.round(result.cpuMs),
      startedAt: Date.parse(result.startedAt),
      finishedAt: Date.parse(result.finishedAt),
    })
    .where(
      and(
        eq(runs.id, id),
        eq(runs.orgId, scope.orgId),
        eq(runs.userId, scope.userId),
        inArray(runs.status, [...ACTIVE_STATUSES]),
      ),
    )
    .returning({ id: runs.id });
  return rows.length > 0;
}

/**
 * Removes a run no host could take because every host was at capacity (503 `sandbox_busy`): the
 * client retries, and history keeps no failed run for it. Only while still `queued`.
 */
export async function discardQueuedRun(db: Database, scope: RunScope, id: string): Promise<void> {
  await db
    .delete(runs)
    .where(
      and(
        eq(runs.id, id),
        eq(runs.orgId, scope.orgId),
        eq(runs.userId, scope.userId),
        eq(runs.status, 'queued'),
      ),
    );
}

export async function findRun(db: Database, scope: RunScope, id: string): Promise<RunRow | undefined> {
  return db
    .select()
    .from(runs)
    .where(and(eq(runs.id, id), eq(runs.orgId, scope.orgId), eq(runs.userId, scope.userId)))
    .get();
}

export interface RunCursor {
  createdAt: number;
  id: string;
}

export interface ListRunsQuery {
  limit: number;
  cursor?: RunCursor;
  status?: RunStatus | 'queued' | 'running';
  language?: string;
}

/** Newest first; keyset pagination on (created_at, id) so pages never skip or repeat a run. */
export async function listRuns(db: Database, scope: RunScope, q: ListRunsQuery): Promise<RunRow[]> {
  const conditions = [eq(runs.orgId, scope.orgId), eq(runs.userId, scope.userId)];
  if (q.status) conditions.push(eq(runs.status, q.status));
  if (q.language) conditions.push(eq(runs.language, q.language));
  if (q.cursor) {
    const c = q.cursor;
    const older = or(
      lt(runs.createdAt, c.createdAt),
      and(eq(runs.createdAt, c.createdAt), lt(runs.id, c.id)),
    );
    if (older) conditions.push(older);
  }
  return db
    .select()
    .from(runs)
    .where(and(...conditions))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(q.limit)
    .all();
}
