import { and, desc, eq, getTableColumns, inArray, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { files } from '../db/schema.ts';
import type { Scope } from './scope.ts';

/**
 * The only code that reads or writes file rows. Every query is scoped by organization and user, as
 * runs are: another tenant's file id finds nothing (the route answers 404). The organization's
 * quota is checked in the insert itself, so two uploads racing cannot both slip under it.
 */

export type FileRow = typeof files.$inferSelect;
export type NewFile = Omit<FileRow, 'orgId' | 'userId'>;

/** Inserts the row unless the organization's files would then exceed `quotaBytes`; false at the quota. */
export async function insertFileUnderQuota(
  db: Database,
  scope: Scope,
  file: NewFile,
  quotaBytes: number,
): Promise<boolean> {
  const manifest = file.manifest === null ? null : JSON.stringify(file.manifest);
  const result = await db.run(sql`
    INSERT INTO files (id, org_id, user_id, name, size, kind, content_type, sha256, manifest, created_at)
    SELECT ${file.id}, ${scope.orgId}, ${scope.userId}, ${file.name}, ${file.size}, ${file.kind},
           ${file.contentType}, ${file.sha256}, ${manifest}, ${file.createdAt}
    WHERE (SELECT coalesce(sum(size), 0) FROM files WHERE org_id = ${scope.orgId}) + ${file.size} <= ${quotaBytes}`);
  return (result.meta.changes ?? 0) > 0;
}

/** Bytes the organization keeps in files (every member's). */
export async function orgFileBytes(db: Database, orgId: string): Promise<number> {
  const row = await db
    .select({ total: sql<number>`coalesce(sum(${files.size}), 0)` })
    .from(files)
    .where(eq(files.orgId, orgId))
    .get();
  return row?.total ?? 0;
}

export async function findFile(db: Database, scope: Scope, id: string): Promise<FileRow | undefined> {
  return db
    .select()
    .from(files)
    .where(and(eq(files.id, id), eq(files.orgId, scope.orgId), eq(files.userId, scope.userId)))
    .get();
}

/** The files among `ids` that the scope owns (the caller compares counts to find a missing one). */
export async function findFiles(db: Database, scope: Scope, ids: readonly string[]): Promise<FileRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(files)
    .where(and(inArray(files.id, [...ids]), eq(files.orgId, scope.orgId), eq(files.userId, scope.userId)))
    .all();
}

export interface FileCursor {
  createdAt: number;
  id: string;
}

/** A file row without its manifest (up to ~1 MB of JSON each): what a list needs. */
export type FileSummaryRow = Omit<FileRow, 'manifest'>;
const { manifest: _manifest, ...summaryColumns } = getTableColumns(files);

export async function listFiles(
  db: Database,
  scope: Scope,
  q: { limit: number; cursor?: FileCursor },
): Promise<FileSummaryRow[]> {
  const conditions = [eq(files.orgId, scope.orgId), eq(files.userId, scope.userId)];
  if (q.cursor) {
    const c = q.cursor;
    const older = or(
      lt(files.createdAt, c.createdAt),
      and(eq(files.createdAt, c.createdAt), lt(files.id, c.id)),
    );
    if (older) conditions.push(older);
  }
  return db
    .select(summaryColumns)
    .from(files)
    .where(and(...conditions))
    .orderBy(desc(files.createdAt), desc(files.id))
    .limit(q.limit)
    .all();
}

/** Deletes the row; false when the scope has no such file. */
export async function deleteFile(db: Database, scope: Scope, id: string): Promise<boolean> {
  const result = await db
    .delete(files)
    .where(and(eq(files.id, id), eq(files.orgId, scope.orgId), eq(files.userId, scope.userId)))
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/**
 * The files an account's deletion takes with it (rows go by cascade): the user's own, and every
 * file of the organizations deleted with the account. Read before the deletion, for their objects.
 */
export function filesGoingWith(db: Database, userId: string, orgIds: readonly string[]) {
  const owned = eq(files.userId, userId);
  return db
    .select({ id: files.id, orgId: files.orgId })
    .from(files)
    .where(orgIds.length > 0 ? or(owned, inArray(files.orgId, [...orgIds])) : owned);
}
