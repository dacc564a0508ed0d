import { and, isNotNull, lt, or } from 'drizzle-orm';
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
