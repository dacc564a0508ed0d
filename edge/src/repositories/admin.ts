import { and, asc, count, desc, eq, gt, gte, lt, or, type SQL, sql, sum } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { auditLog, orgs, runs, users } from '../db/schema.ts';
import type { Cursor } from '../lib/cursor.ts';
import { DAY_MS } from '../limits.ts';
import { taskUsageByOrg } from './usage.ts';

/**
 * Platform-wide reads for administrators. These are deliberately not tenant-scoped (that is what an
 * administrator is for); they are reachable only behind `requireAdmin()`, which re-reads
 * `users.is_admin` from D1 on every request. Nothing here returns a secret or a hash.
 */

/** The `is_admin` flag as stored now; false for an unknown (e.g. deleted) user. */
export async function isAdmin(db: Database, userId: string): Promise<boolean> {
  const row = await db.select({ isAdmin: users.isAdmin }).from(users).where(eq(users.id, userId)).get();
  return row?.isAdmin === true;
}

export interface Period {
  from: number;
  to: number;
}

export async function platformStats(db: Database, period: Period) {
  const inPeriod = and(gte(runs.createdAt, period.from), lt(runs.createdAt, period.to));
  const taskRows = await taskUsageByOrg(db, period);
  const [userCounts, orgCounts, series] = await db.batch([
    db
      .select({ total: count(), admins: sum(sql<number>`CASE WHEN ${users.isAdmin} THEN 1 ELSE 0 END`) })
      .from(users),
    db
      .select({ total: count(), personal: sum(sql<number>`CASE WHEN ${orgs.personal} THEN 1 ELSE 0 END`) })
      .from(orgs),
    db
      .select({
        day: sql<number>`(${runs.createdAt} / ${DAY_MS})`.as('day'),
        status: runs.status,
        language: runs.language,
        runs: count(),
      })
      .from(runs)
      .where(inPeriod)
      .groupBy(sql`day`, runs.status, runs.language)
      .orderBy(sql`day`, runs.status, runs.language),
  ]);
  const byStatus: Record<string, number> = {};
  const byLanguage: Record<string, number> = {};
  for (const row of series) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + row.runs;
    byLanguage[row.language] = (byLanguage[row.language] ?? 0) + row.runs;
  }
  const users_ = userCounts[0];
  const orgs_ = orgCounts[0];
  return {
    users: { total: users_?.total ?? 0, admins: Number(users_?.admins ?? 0) },
    orgs: { total: orgs_?.total ?? 0, personal: Number(orgs_?.personal ?? 0) },
    runs: {
      total: series.reduce((n, row) => n + row.runs, 0),
      byStatus,
      byLanguage,
      daily: series.map((row) => ({
        date: new Date(Number(row.day) * DAY_MS).toISOString().slice(0, 10),
        status: row.status,
        language: row.language,
        runs: row.runs,
      })),
    },
    tasks: {
      total: taskRows.reduce((n, row) => n + row.tasks, 0),
      inputTokens: taskRows.reduce((n, row) => n + row.inputTokens, 0),
      outputTokens: taskRows.reduce((n, row) => n + row.outputTokens, 0),
      byOrg: taskRows.map(({ orgId, tasks, inputTokens, outputTokens }) => ({
        orgId,
        tasks,
        inputTokens,
        outputTokens,
      })),
    },
  };
}

interface UserPage {
  users: { id: string; email: string; isAdmin: boolean; createdAt: number }[];
  /** The last email of this page; pass it back as `after` for the next one. */
  next: string | null;
}

/** Users ordered by email, optionally those whose email starts with `prefix` (a range, not LIKE). */
export async function listUsers(
  db: Database,
  query: { prefix?: string; after?: string; limit: number },
): Promise<UserPage> {
  const conditions: SQL[] = [];
  if (query.prefix) {
    conditions.push(gte(users.email, query.prefix), lt(users.email, `${query.prefix}\u{10FFFF}`));
  }
  if (query.after) conditions.push(gt(users.email, query.after));
  const rows = await db
    .select({ id: users.id, email: users.email, isAdmin: users.isAdmin, createdAt: users.createdAt })
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.email))
    .limit(query.limit + 1)
    .all();
  const page = rows.slice(0, query.limit);
  return { users: page, next: rows.length > query.limit ? (page.at(-1)?.email ?? null) : null };
}

/**
 * Per organization: runs, CPU and wall seconds of runs created in the period, and tasks and their
 * tokens (issue 13; from task_usage, so erased tasks still count). An organization with tasks but
 * no runs is listed too. Most CPU first, then most tokens.
 */
export async function billingByOrg(db: Database, period: Period) {
  const [runRows, taskRows] = await Promise.all([
    db
      .select({
        orgId: runs.orgId,
        name: orgs.name,
        personal: orgs.personal,
        runs: count(),
        cpuMs: sum(runs.cpuMs),
        wallMs: sum(runs.wallMs),
      })
      .from(runs)
      .innerJoin(orgs, eq(orgs.id, runs.orgId))
      .where(and(gte(runs.createdAt, period.from), lt(runs.createdAt, period.to)))
      .groupBy(runs.orgId)
      .orderBy(desc(sum(runs.cpuMs)), asc(runs.orgId))
      .all(),
    taskUsageByOrg(db, period),
  ]);
  const tasksOf = new Map(taskRows.map((row) => [row.orgId, row]));
  const noTasks = { tasks: 0, inputTokens: 0, outputTokens: 0 };
  const withRuns = runRows.map((row) => {
    const t = tasksOf.get(row.orgId) ?? noTasks;
    return {
      orgId: row.orgId,
      name: row.name,
      personal: row.personal,
      runs: row.runs,
      cpuSeconds: Number(row.cpuMs ?? 0) / 1000,
      wallSeconds: Number(row.wallMs ?? 0) / 1000,
      tasks: t.tasks,
      inputTokens: t.inputTokens,
      outputTokens: t.outputTokens,
    };
  });
  const seen = new Set(runRows.map((row) => row.orgId));
  const tasksOnly = taskRows
    .filter((row) => !seen.has(row.orgId))
    .map((row) => ({ ...row, runs: 0, cpuSeconds: 0, wallSeconds: 0 }));
  return [...withRuns, ...tasksOnly];
}

interface AuditQuery {
  action?: string;
  actorUserId?: string;
  orgId?: string;
  from?: number;
  to?: number;
  /** Keyset cursor: rows strictly older than this (at, id). */
  before?: Cursor;
  limit: number;
}

export async function queryAudit(db: Database, query: AuditQuery) {
  const conditions: (SQL | undefined)[] = [
    query.action ? eq(auditLog.action, query.action) : undefined,
    query.actorUserId ? eq(auditLog.actorUserId, query.actorUserId) : undefined,
    query.orgId ? eq(auditLog.orgId, query.orgId) : undefined,
    query.from !== undefined ? gte(auditLog.at, query.from) : undefined,
    query.to !== undefined ? lt(auditLog.at, query.to) : undefined,
    query.before
      ? or(
          lt(auditLog.at, query.before.at),
          and(eq(auditLog.at, query.before.at), lt(auditLog.id, query.before.id)),
        )
      : undefined,
  ];
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(query.limit + 1)
    .all();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return { entries: page, next: rows.length > query.limit && last ? { at: last.at, id: last.id } : null };
}
