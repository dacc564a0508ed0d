import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { database } from '../db/client.ts';
import { objectKey } from '../domain/files/name.ts';
import { fileView } from '../domain/files/view.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { auditRequest } from '../lib/audit-request.ts';
import { decodeCursor, encodeCursor } from '../lib/cursor.ts';
import { FIXED } from '../limits.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { orgContext, requestScope } from '../middleware/org-context.ts';
import { principalKey, rateLimit } from '../middleware/rate-limit.ts';
import { requireScope } from '../middleware/require-scope.ts';
import { deleteFile, findFile, listFiles, orgFileBytes } from '../repositories/files.ts';
import { storeUpload, type Upload } from '../services/files/upload.ts';

/**
 * /v1/files (issue 15, docs/files.md): upload (raw bytes with `?name=`, or multipart/form-data with a
 * `file` field, for browsers), list, metadata, download, delete. Scoped like runs: another tenant's
 * file id is a 404. Downloads are attachments with a fixed, non-rendering Content-Type.
 */

const api = rateLimit({ name: 'api', rule: (cfg) => cfg.auth.rateLimits.api, key: principalKey });
const authed = [authenticate(), api, orgContext()] as const;

/** File ids are UUIDs; anything else is simply not found. */
const FileIdSchema = z.uuid();

export const UploadQuerySchema = z.strictObject({
  name: z.string().min(1).max(1024).optional(),
});

export const FileListQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(FIXED.filesPageMax))
    .optional()
    .default(FIXED.filesPageDefault),
  cursor: z.string().max(200).optional(),
});

function invalid(field: string, problem: string): ApiError {
  return new ApiError('validation_failed', {
    message: `Invalid request: ${field} (${problem})`,
    details: { fields: [{ field, problem }] },
  });
}

async function ownFile(c: Context<AppEnv>) {
  const id = FileIdSchema.safeParse(c.req.param('id'));
  const row = id.success ? await findFile(database(c.env.DB), requestScope(c), id.data) : undefined;
  if (!row) throw new ApiError('not_found', { message: 'File not found.' });
  return row;
}

/** The upload's name and bytes, from a multipart form (field `file`) or the raw body. */
async function readUpload(c: Context<AppEnv>): Promise<Upload> {
  const query = UploadQuerySchema.safeParse(c.req.query());
  if (!query.success) throw invalid('name', 'a name of 1 to 1024 characters');
  const type = c.req.header('content-type') ?? '';
  if (type.toLowerCase().startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await c.req.raw.formData();
    } catch {
      throw invalid('file', 'a multipart/form-data body with a `file` field');
    }
    const file = form.get('file');
    if (!(file instanceof File)) throw invalid('file', 'a multipart/form-data body with a `file` field');
    const name = query.data.name ?? file.name;
    if (!name) throw invalid('name', 'required');
    return { name, bytes: new Uint8Array(await file.arrayBuffer()) };
  }
  if (!query.data.name) throw invalid('name', 'required as ?name= for a raw upload');
  return { name: query.data.name, bytes: new Uint8Array(await c.req.arrayBuffer()) };
}

export const fileRoutes = new Hono<AppEnv>()
  .post('/v1/files', ...authed, requireScope('files:write'), async (c) => {
    const stored = await storeUpload(c, requestScope(c), await readUpload(c));
    return c.json(
      { ...stored.file, ...(stored.renamedFrom ? { renamedFrom: stored.renamedFrom } : {}) },
      201,
    );
  })
  .get('/v1/files', ...authed, requireScope('files:read'), async (c) => {
    const query = FileListQuerySchema.safeParse(c.req.query());
    if (!query.success) throw invalid('limit', `an integer from 1 to ${FIXED.filesPageMax}`);
    const cursor = query.data.cursor === undefined ? undefined : decodeCursor(query.data.cursor);
    if (query.data.cursor !== undefined && !cursor) throw invalid('cursor', 'not a cursor from this list');
    const db = database(c.env.DB);
    const scope = requestScope(c);
    const [rows, used] = await Promise.all([
      listFiles(db, scope, {
        limit: query.data.limit,
        ...(cursor ? { cursor: { createdAt: cursor.at, id: cursor.id } } : {}),
      }),
      orgFileBytes(db, scope.orgId),
    ]);
    const last = rows.length === query.data.limit ? rows[rows.length - 1] : undefined;
    return c.json({
      files: rows.map(fileView),
      nextCursor: last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
      usage: { bytes: used, quotaBytes: c.get('config').files.orgQuotaBytes },
    });
  })
  .get('/v1/files/:id', ...authed, requireScope('files:read'), async (c) =>
    c.json(fileView(await ownFile(c))),
  )
  .get('/v1/files/:id/content', ...authed, requireScope('files:read'), async (c) => {
    const row = await ownFile(c);
    const object = await c.env.FILES.get(objectKey(row.orgId, row.id));
    if (!object) {
      c.get('logger').error('file object missing', { fileId: row.id });
      throw new ApiError('not_found', { message: 'File not found.' });
    }
    return new Response(object.body, {
      headers: {
        // Never a type a browser renders; nosniff (security headers) keeps it from guessing one.
        'Content-Type': row.contentType,
        'Content-Length': String(row.size),
        // The name is sanitised to [A-Za-z0-9._+-] at upload: nothing in it needs quoting.
        'Content-Disposition': `attachment; filename="${row.name}"`,
        'Cache-Control': 'private, no-store',
      },
    });
  })
  .delete('/v1/files/:id', ...authed, requireScope('files:write'), async (c) => {
    const row = await ownFile(c);
    const db = database(c.env.DB);
    const scope = requestScope(c);
    if (!(await deleteFile(db, scope, row.id)))
      throw new ApiError('not_found', { message: 'File not found.' });
    await c.env.FILES.delete(objectKey(row.orgId, row.id));
    await auditRequest(
      c,
      db,
      { action: 'file.delete', targetType: 'file', targetId: row.id },
      c.get('now')(),
    );
    return c.body(null, 204);
  });
