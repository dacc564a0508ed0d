/**
 * What an archive may hold, and the reasons one is refused. The numbers are the caller's (the edge's
 * settings when a file is uploaded, the run's `/work` size on the sandbox host), so the same reader
 * serves both; every limit is enforced while reading, so a bomb stops at the limit, not at its end.
 */
export interface ArchiveLimits {
  /** Files and directories, counted as their headers are read (a zip's count is checked first). */
  readonly maxEntries: number;
  /** Sum of the unpacked file sizes. */
  readonly maxTotalBytes: number;
  /** Unpacked bytes per archive byte, beyond `ratioFloorBytes` (a small archive may compress well). */
  readonly maxRatio: number;
  readonly ratioFloorBytes: number;
  /** Path segments, and UTF-8 bytes of the whole normalised path. */
  readonly maxPathDepth: number;
  readonly maxPathLength: number;
}

export const ARCHIVE_KINDS = ['zip', 'tar', 'tar.gz'] as const;
export type ArchiveKind = (typeof ARCHIVE_KINDS)[number];

/** Why an archive is refused; each is a stable code clients may branch on. */
export const ARCHIVE_REJECTIONS = [
  /** Not a well-formed archive: truncated, a bad checksum or CRC, overlapping or mismatched entries. */
  'corrupt',
  /** Well-formed but uses what this reader does not take: encryption, zip64, other compression. */
  'unsupported',
  'too_many_entries',
  'too_large',
  'compression_ratio',
  'path_too_deep',
  'path_too_long',
  /** An absolute path, a drive letter, a backslash, a `..` segment. */
  'unsafe_path',
  /** Symbolic and hard links are refused, never followed. */
  'link',
  /** Devices, FIFOs, sockets. */
  'special_file',
  /** Two entries with one path once normalised and sanitised (or a file where a directory is). */
  'duplicate_path',
] as const;
export type ArchiveRejection = (typeof ARCHIVE_REJECTIONS)[number];

/** Thrown inside the readers to stop at once; `readArchive` turns it into a result. */
export class ArchiveRejected extends Error {
  readonly reason: ArchiveRejection;

  constructor(reason: ArchiveRejection, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The archive kind a file name declares, or undefined for any other file. */
export function archiveKindOf(name: string): ArchiveKind | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  if (lower.endsWith('.tar')) return 'tar';
  return undefined;
}
