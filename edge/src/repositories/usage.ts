import { and, asc, count, desc, eq, gt, gte, inArray, lt, sql, sum } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { orgs, runs, taskUsage } from '../db/schema.ts';
import { FIXED } from '../limits.ts';
import type { Period } from './admin.ts';
import { ACTIVE_STATUSES } from './runs.ts';
import type { Scope } from './scope.ts';

/**
 * Usage reads and the organization's token cap (issue 13). Task tokens come from `task_usage`, which
 * outlives the tasks it counts (schema.ts), so erasing a task's history does not refund its tokens;
 * runs and CPU from `runs`, as the admin billing does.
 */

const tokens = sql<number>`coalesce(sum(${taskUsage.inputTokens} + ${taskUsage.outputTokens}), 0)`;

/** Tokens (in + out) of the organization's tasks created in the period. */
export async function orgTokensIn(db: Database, orgId: string, period: Period): Promise<number> {
  const row = await db
    .select({ tokens })
    .from(taskUsage)
    .where(
      and(
        eq(taskUsage.orgId, orgId),
        gte(taskUsage.createdAt, period.from),
        lt(taskUsage.createdAt, period.to),
      ),
    )
    .get();
  return Number(row?.tokens ?? 0);
}

/** The organization's monthly token cap; null: none (or no such organization). */
export async function orgTokenCap(db: Database, orgId: string): Promise<number | null> {
  const row = await db.select({ cap: orgs.monthlyTokenCap }).from(orgs).where(eq(orgs.id, orgId)).get();
  return row?.cap ?? null;
}

/** Sets (or, with null, removes) the cap. Callers check the caller's role first. */
export async function setOrgTokenCap(db: Database, orgId: string, cap: number | null): Promise<void> {
  await db.update(orgs).set({ monthlyTokenCap: cap }).where(eq(orgs.id, orgId));
}

export interface CallerUsage {
  runs: number;
  cpuMs: number;
  tasks: number;
  inputTokens: number;
  outputTokens: number;
}

/** The caller's own runs, CPU and task tokens in the organization, for the period. */
export async function callerUsage(db: Database, scope: Scope, period: Period): Promise<CallerUsage> {
  const [runRows, taskRows] = await db.batch([
    db
      .select({ runs: count(), cpuMs: sum(runs.cpuMs) })
      .from(runs)
      .where(
        and(
          eq(runs.orgId, scope.orgId),
          eq(runs.userId, scope.userId),
          gte(runs.createdAt, period.from),
          lt(runs.createdAt, period.to),
        ),
      ),
    db
      .select({
        tasks: count(),
        inputTokens: sum(taskUsage.inputTokens),
        outputTokens: sum(taskUsage.outputTokens),
      })
      .from(taskUsage)
      .where(
        and(
          eq(taskUsage.orgId, scope.orgId),
          eq(taskUsage.userId, scope.userId),
          gte(taskUsage.createdAt, period.from),
          lt(taskUsage.createdAt, period.to),
        ),
      ),
  ]);
  const r = runRows[0];
  const t = taskRows[0];
  return {
    runs: r?.runs ?? 0,
    cpuMs: Number(r?.cpuMs ?? 0),
    tasks: t?.tasks ?? 0,
    inputTokens: Number(t?.inputTokens ?? 0),
    outputTokens: Number(t?.outputTokens ?? 0),
  };
}

/** Per organization: tasks created in the period and their tokens, for the admin reports; most tokens first. */
export async function taskUsageByOrg(db: Database, period: Period) {
  const rows = await db
    .select({
      orgId: taskUsage.orgId,
      name: orgs.name,
      personal: orgs.personal,
      tasks: count(),
      inputTokens: sum(taskUsage.inputTokens),
      outputTokens: sum(taskUsage.outputTokens),
    })
    .from(taskUsage)
    .innerJoin(orgs, eq(orgs.id, taskUsage.orgId))
    .where(and(gte(taskUsage.createdAt, period.from), lt(taskUsage.createdAt, period.to)))
    .groupBy(taskUsage.orgId)
    .orderBy(desc(tokens), asc(taskUsage.orgId))
    .all();
  return rows.map((row) => ({
    orgId: row.orgId,
    name: row.name,
    personal: row.personal,
    tasks: row.tasks,
    inputTokens: Number(row.inputTokens ?? 0),
    outputTokens: Number(row.outputTokens ?? 0),
  }));
}

/**
 * Runs in progress now, as the creation caps count them (repositories/runs.ts `insertRunUnderCap`):
 * queued or running, created within the active-run horizon; for the organization and for the user
 * across all their organizations.
 */
export async function runsInProgress(
  db: Database,
  scope: Scope,
  now: number,
): Promise<{ org: number; user: number }> {
  const active = and(
    inArray(runs.status, [...ACTIVE_STATUSES]),
    gt(runs.createdAt, now - FIXED.activeRunHorizonMs),
  );
  const [org, user] = await db.batch([
    db
      .select({ n: count() })
      .from(runs)
      .where(and(eq(runs.orgId, scope.orgId), active)),
    db
      .select({ n: count() })
      .from(runs)
      .where(and(eq(runs.userId, scope.userId), active)),
  ]);
  return { org: org[0]?.n ?? 0, user: user[0]?.n ?? 0 };
}
