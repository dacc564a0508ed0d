import { ARCHIVE_REJECTIONS } from '@airlock/protocol/archive';
import { FIXED } from '../limits.ts';
import { FileListQuerySchema, UploadQuerySchema } from '../routes/files.ts';
import {
  API,
  arrayOf,
  dateTime,
  int,
  json,
  noContent,
  type OperationSpec,
  obj,
  pathParam,
  queryParams,
  str,
} from './spec.ts';

const fileIdParam = pathParam('id', str({ format: 'uuid' }), 'The file id.');

const manifest = obj({
  kind: str({ enum: ['zip', 'tar', 'tar.gz'] }),
  entries: arrayOf(obj({ path: str(), type: str({ enum: ['file', 'dir'] }), size: int() })),
  files: int(),
  totalBytes: int(),
  renamed: arrayOf(obj({ from: str(), to: str() })),
});

const file = (withManifest: boolean) =>
  obj({
    id: str({ format: 'uuid' }),
    name: str({ description: 'The sanitised display name ([A-Za-z0-9._+-]).' }),
    size: int(),
    kind: str({ enum: ['zip', 'tar', 'tar.gz', 'file'] }),
    contentType: str(),
    sha256: str({ description: 'Hex SHA-256 of the bytes.' }),
    ...(withManifest
      ? {
          manifest: {
            oneOf: [manifest, { type: 'null' }],
            description: 'Archives only: what inspection found.',
          },
        }
      : {}),
    createdAt: dateTime(),
  });

/** Files: upload (with archive inspection), list, metadata, download, delete. */
export const fileOperations: readonly OperationSpec[] = [
  {
    method: 'post',
    path: '/v1/files',
    operationId: 'uploadFile',
    tag: 'files',
    summary: 'Upload a file or an archive',
    description:
      'The bytes as the body with `?name=`, or `multipart/form-data` with a `file` field. A `.zip`, `.tar`, ' +
      '`.tar.gz` or `.tgz` is inspected before it is stored: a manifest, or 400 `archive_rejected` with a ' +
      `\`reason\` (${ARCHIVE_REJECTIONS.join(', ')}). Names outside [A-Za-z0-9._+-] are sanitised; the ` +
      "manifest's `renamed` lists each mapping. Size and organization quota are configuration.",
    access: 'any',
    scope: 'files:write',
    org: true,
    rateLimits: API,
    parameters: queryParams(UploadQuerySchema, { name: 'The file name (required for a raw body).' }),
    body: {
      schema: { type: 'string', format: 'binary' },
      mediaTypes: ['application/octet-stream', 'multipart/form-data'],
    },
    success: [json(201, 'Stored.', file(true))],
    errors: ['archive_rejected', 'file_quota_exceeded'],
  },
  {
    method: 'get',
    path: '/v1/files',
    operationId: 'listFiles',
    tag: 'files',
    summary: "The caller's files in the organization, newest first",
    access: 'any',
    scope: 'files:read',
    org: true,
    rateLimits: API,
    parameters: queryParams(FileListQuerySchema, {
      limit: `Page size, 1 to ${FIXED.filesPageMax} (default ${FIXED.filesPageDefault}).`,
      cursor: '`nextCursor` of the previous page.',
    }),
    success: [
      json(
        200,
        "A page of files (without manifests) and the organization's storage use.",
        obj({
          files: arrayOf(file(false)),
          nextCursor: str({ type: ['string', 'null'] }),
          usage: obj({ bytes: int(), quotaBytes: int() }),
        }),
      ),
    ],
    errors: ['validation_failed'],
  },
  {
    method: 'get',
    path: '/v1/files/{id}',
    operationId: 'getFile',
    tag: 'files',
    summary: "A file's metadata and, for archives, its manifest",
    access: 'any',
    scope: 'files:read',
    org: true,
    rateLimits: API,
    parameters: [fileIdParam],
    success: [json(200, 'The file.', file(true))],
  },
  {
    method: 'get',
    path: '/v1/files/{id}/content',
    operationId: 'downloadFile',
    tag: 'files',
    summary: 'Download a file',
    description:
      'Always an attachment (`Content-Disposition: attachment`), with a Content-Type no browser renders and ' +
      '`X-Content-Type-Options: nosniff`.',
    access: 'any',
    scope: 'files:read',
    org: true,
    rateLimits: API,
    parameters: [fileIdParam],
    success: [
      {
        status: 200,
        description: 'The bytes.',
        mediaType: 'application/octet-stream',
        schema: str({ format: 'binary' }),
      },
    ],
  },
  {
    method: 'delete',
    path: '/v1/files/{id}',
    operationId: 'deleteFile',
    tag: 'files',
    summary: 'Delete a file',
    access: 'any',
    scope: 'files:write',
    org: true,
    rateLimits: API,
    parameters: [fileIdParam],
    success: [noContent('The file is gone.')],
  },
];
