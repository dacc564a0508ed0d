import { type ArchiveKind, type ArchiveLimits, ArchiveRejected, type ArchiveRejection } from './limits.ts';
import { type ArchiveManifest, ManifestBuilder } from './manifest.ts';
import { readTar } from './tar.ts';
import { readZip } from './zip.ts';

/**
 * Archive inspection, shared by the edge (at upload: the manifest or a rejection) and the sandbox
 * host (when it builds a run's tar: the same checks again, with the contents). Pure TypeScript
 * over Web APIs and fflate, so it runs in Workers and Node alike, and it never touches a file
 * system: entries are returned as paths and bytes for the caller to pack.
 */

export type ArchiveResult =
  | { ok: true; manifest: ArchiveManifest }
  | { ok: false; reason: ArchiveRejection; message: string };

export function readArchive(
  kind: ArchiveKind,
  bytes: Uint8Array,
  limits: ArchiveLimits,
  /** Called with each file's validated path and content; without it only the manifest is built. */
  onFile?: (path: string, content: Uint8Array) => void,
): ArchiveResult {
  const manifest = new ManifestBuilder(limits, bytes.length);
  try {
    if (kind === 'zip') readZip(bytes, manifest, onFile);
    else readTar(bytes, kind === 'tar.gz', manifest, onFile);
    return { ok: true, manifest: manifest.finish(kind) };
  } catch (err) {
    if (err instanceof ArchiveRejected) return { ok: false, reason: err.reason, message: err.message };
    // A RangeError from a DataView read past the end, or anything else unforeseen: a malformed archive.
    return { ok: false, reason: 'corrupt', message: 'the archive is corrupt or truncated' };
  }
}

export * from './limits.ts';
export type { ArchiveManifest, ManifestEntry, ManifestRename } from './manifest.ts';
