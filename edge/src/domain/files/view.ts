import type { ArchiveManifest } from '@airlock/protocol/archive';
import type { FileRow, FileSummaryRow } from '../../repositories/files.ts';

/** A file as the API shows it: metadata and, for archives, the inspection's manifest (not in lists). */
export interface FileView {
  id: string;
  name: string;
  size: number;
  kind: string;
  contentType: string;
  sha256: string;
  manifest?: ArchiveManifest | null;
  createdAt: string;
}

export function fileView(row: FileRow | FileSummaryRow): FileView {
  return {
    id: row.id,
    name: row.name,
    size: row.size,
    kind: row.kind,
    contentType: row.contentType,
    sha256: row.sha256,
    ...('manifest' in row ? { manifest: (row.manifest as ArchiveManifest | null) ?? null } : {}),
    createdAt: new Date(row.createdAt).toISOString(),
  };
}
