import { readArchive } from '@airlock/protocol/archive';
import type { Context } from 'hono';
import { database } from '../../db/client.ts';
import { contentTypeOf, displayName, fileKindOf, objectKey } from '../../domain/files/name.ts';
import { type FileView, fileView } from '../../domain/files/view.ts';
import type { AppEnv } from '../../env.ts';
import { ApiError } from '../../errors/api-error.ts';
import { auditRequest } from '../../lib/audit-request.ts';
import { insertFileUnderQuota } from '../../repositories/files.ts';
import type { Scope } from '../../repositories/scope.ts';

/**
 * Storing one upload: size limit, archive inspection (a manifest or `archive_rejected`, before
 * anything is stored), the object in R2 under a generated key, then the row under the
 * organization's quota. The object is written first and removed again if the row is refused, so a
 * row never points at nothing; an object without a row (a crash between the two) holds no data
 * anyone can reach and is never listed.
 */

export interface Upload {
  /** The name the client gave (only a label; sanitised here). */
  name: string;
  bytes: Uint8Array;
}

export interface Stored {
  file: FileView;
  /** The client's name, when sanitising changed it. */
  renamedFrom?: string;
}

export async function storeUpload(c: Context<AppEnv>, scope: Scope, upload: Upload): Promise<Stored> {
  const config = c.get('config').files;
  if (upload.bytes.length > config.maxBytes) {
    throw new ApiError('payload_too_large', { message: `A file may be at most ${config.maxBytes} bytes.` });
  }
  const name = displayName(upload.name);
  const kind = fileKindOf(name);
  let manifest = null;
  if (kind !== 'file') {
    const inspected = readArchive(kind, upload.bytes, config.archive);
    if (!inspected.ok) {
      throw new ApiError('archive_rejected', {
        message: `The archive was rejected: ${inspected.message}.`,
        details: { reason: inspected.reason },
      });
    }
    manifest = inspected.manifest;
  }

  const id = crypto.randomUUID();
  const now = c.get('now')();
  const sha256 = hex(await crypto.subtle.digest('SHA-256', upload.bytes));
  const contentType = contentTypeOf(kind);
  const key = objectKey(scope.orgId, id);
  await c.env.FILES.put(key, upload.bytes, { httpMetadata: { contentType }, sha256 });
  const db = database(c.env.DB);
  const row = { id, name, size: upload.bytes.length, kind, contentType, sha256, manifest, createdAt: now };
  if (!(await insertFileUnderQuota(db, scope, row, config.orgQuotaBytes))) {
    await c.env.FILES.delete(key);
    throw new ApiError('file_quota_exceeded', { details: { quotaBytes: config.orgQuotaBytes } });
  }
  await auditRequest(
    c,
    db,
    { action: 'file.upload', targetType: 'file', targetId: id, metadata: { size: row.size, kind } },
    now,
  );
  return {
    file: fileView({ ...row, orgId: scope.orgId, userId: scope.userId }),
    ...(name !== upload.name ? { renamedFrom: upload.name } : {}),
  };
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
