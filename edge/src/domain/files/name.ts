import { type ArchiveKind, archiveKindOf } from '@airlock/protocol/archive';
import { FIXED } from '../../limits.ts';

/**
 * What a user calls a file is only a label: it names nothing in storage (objects are keyed by
 * generated ids) and is rendered as text. It is still sanitised, since it travels into
 * `Content-Disposition` and, for plain files a run mounts, becomes a name under /work.
 */

const UNSAFE = /[^A-Za-z0-9._+-]/g;

/** The last path segment of `raw`, with characters outside [A-Za-z0-9._+-] as `_`; no leading dot. */
export function displayName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const safe = base.replace(UNSAFE, '_').replace(/^\.+/, '').slice(0, FIXED.fileNameMaxLength);
  return safe === '' ? 'file' : safe;
}

export type FileKind = ArchiveKind | 'file';

export function fileKindOf(name: string): FileKind {
  return archiveKindOf(name) ?? 'file';
}

/**
 * The Content-Type a download is served with. Never one a browser renders (HTML, SVG, scripts):
 * archives get their own types, everything else is opaque bytes; `nosniff` keeps it that way.
 */
export function contentTypeOf(kind: FileKind): string {
  switch (kind) {
    case 'zip':
      return 'application/zip';
    case 'tar':
      return 'application/x-tar';
    case 'tar.gz':
      return 'application/gzip';
    case 'file':
      return 'application/octet-stream';
  }
}

/** R2 object key: the organization's prefix and the generated id, never the user's name. */
export function objectKey(orgId: string, fileId: string): string {
  return `orgs/${orgId}/files/${fileId}`;
}
