import type { TaskStatus } from '@airlock/protocol';
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { runs, type TaskAttemptRecord, tasks, taskUsage } from '../db/schema.ts';
import type { RunScope } from './runs.ts';

/**
 * The only code that reads or writes tasks. Like runs, every query is scoped by organization and
 * user: another tenant's task id finds nothing (404). The final state is written once, guarded on
 * `running`. Deleting a task deletes its runs in the same batch.
 *
 * Each task also has a `task_usage` row (counts only), written with it and kept when the task is
 * deleted: billing, `GET /v1/usage` and the organization's token cap read that.
 */

export type TaskRow = typeof tasks.$inferSelect;

export interface NewTask {
  id: string;
  apiKeyId: string | null;
  provider: TaskRow['provider'];
  model: string;
  language: string;
  prompt: string;
  maxAttempts: number;
}

const scoped = (scope: RunScope, id: string) =>
  and(eq(tasks.id, id), eq(tasks.orgId, scope.orgId), eq(tasks.userId, scope.userId));

export async function insertTask(db: Database, scope: RunScope, task: NewTask, now: number): Promise<void> {
  await db.batch([
    db.insert(tasks).values({ ...task, ...scope, status: 'running', createdAt: now }),
    db.insert(taskUsage).values({ taskId: task.id, ...scope, createdAt: now }),
  ]);
}

/**
 * The task's token counts so far. Monotonic (`max`): a later write with smaller numbers (the session's
 * failure path ends with zeros) never refunds tokens already spent.
 */
function recordUsage(db: Database, scope: RunScope, id: string, usage: TaskUsageCounts) {
  return db
    .update(taskUsage)
    .set({
      inputTokens: sql`max(${taskUsage.inputTokens}, ${usage.inputTokens})`,
      outputTokens: sql`max(${taskUsage.outputTokens}, ${usage.outputTokens})`,
    })
    .where(and(eq(taskUsage.taskId, id), eq(taskUsage.orgId, scope.orgId)));
}

interface TaskUsageCounts {
  inputTokens: number;
  outputTokens: number;
}

export interface TaskProgress {
  attempts: TaskAttemptRecord[];
  inputTokens: number;
  outputTokens: number;
}

/** Records the attempts so far while the task runs (history shows them before the end). */
export async function recordTaskProgress(
  db: Database,
  scope: RunScope,
  id: string,
  progress: TaskProgress,
): Promise<void> {
  await db.batch([
    db
      .update(tasks)
      .set(progress)
      .where(and(scoped(scope, id), eq(tasks.status, 'running'))),
    recordUsage(db, scope, id, progress),
  ]);
}

/** Writes the final state once; false when the task was already final (or deleted). */
export async function finishTask(
  db: Database,
  scope: RunScope,
  id: string,
  final: TaskProgress & {
    status: Exclude<TaskStatus, 'running'>;
    errorCode: string | null;
    finishedAt: number;
  },
): Promise<boolean> {
  const [rows] = await db.batch([
    db
      .update(tasks)
      .set(final)
      .where(and(scoped(scope, id), eq(tasks.status, 'running')))
      .returning({ id: tasks.id }),
    recordUsage(db, scope, id, final),
  ]);
  return rows.length > 0;
}

export async function findTask(db: Database, scope: RunScope, id: string): Promise<TaskRow | undefined> {
  return db.select().from(tasks).where(scoped(scope, id)).get();
}

export interface TaskCursor {
  createdAt: number;
  id: string;
}

/** Newest first; keyset pagination on (created_at, id). */
export async function listTasks(
  db: Database,
  scope: RunScope,
  q: { limit: number; cursor?: TaskCursor },
): Promise<TaskRow[]> {
  const conditions = [eq(tasks.orgId, scope.orgId), eq(tasks.userId, scope.userId)];
  if (q.cursor) {
    const c = q.cursor;
    const older = or(
      lt(tasks.createdAt, c.createdAt),
      and(eq(tasks.createdAt, c.createdAt), lt(tasks.id, c.id)),
    );
    if (older) conditions.push(older);
  }
  return db
    .select()
    .from(tasks)
    .where(and(...conditions))
    .orderBy(desc(tasks.createdAt), desc(tasks.id))
    .limit(q.limit)
    .all();
}

/** The task's runs, oldest first (attempt order). */
export async function listTaskRuns(db: Database, scope: RunScope, taskId: string) {
  return db
    .select()
    .from(runs)
    .where(and(eq(runs.taskId, taskId), eq(runs.orgId, scope.orgId), eq(runs.userId, scope.userId)))
    .orderBy(runs.createdAt, runs.id)
    .all();
}

/** Deletes the task and its runs together; false when there was no such task for this caller. */
export async function deleteTask(db: Database, scope: RunScope, id: string): Promise<boolean> {
  const [, deleted] = await db.batch([
    db
      .delete(runs)
      .where(and(eq(runs.taskId, id), eq(runs.orgId, scope.orgId), eq(runs.userId, scope.userId))),
    db.delete(tasks).where(scoped(scope, id)).returning({ id: tasks.id }),
  ]);
  return deleted.length > 0;
}
