import { and, eq, isNotNull, lt, notInArray, or } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { runs } from '../db/schema.ts';

/**
 * Stored run output past retention (issue 12): the run row stays (status, exit code, timings) but
 * its stdout and stderr are erased. A separate file from repositories/runs.ts, which belongs to
 * the run lifecycle.
 */
export function eraseOutputFinishedBefore(db: Database, finishedBefore: number) {
  return db
    .update(runs)
    .set({ stdout: null, stderr: null })
    .where(and(lt(runs.finishedAt, finishedBefore), or(isNotNull(runs.stdout), isNotNull(runs.stderr))));
}

/** `DELETE /v1/runs/{id}`: the run and its stored output go, in the caller's scope only. */
export async function deleteFinishedRun(
  db: Database,
  scope: { orgId: string; userId: string },
  id: string,
): Promise<boolean> {
  const rows = await db
    .delete(runs)
    .where(
      and(
        eq(runs.id, id),
        eq(runs.orgId, scope.orgId),
        eq(runs.userId, scope.userId),
        notInArray(runs.status, ['queued', 'running']),
      ),
    )
    .returning({ id: runs.id });
  return rows.length > 0;
}
