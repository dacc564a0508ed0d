import { LIMITS } from '@airlock/protocol';
import type { ArchiveLimits } from '@airlock/protocol/archive';
import { settingVar as setting } from '../../lib/config-vars.ts';
import { FIXED, SETTINGS } from '../../limits.ts';

/**
 * Files and archives (issue 15), parsed with the rest of the Worker vars in config.ts: the upload
 * size, the organization's quota, the archive inspection limits and the size of a run's /work.
 */
export interface FileConfig {
  readonly maxBytes: number;
  readonly orgQuotaBytes: number;
  readonly archive: ArchiveLimits;
  /** The largest /work a run may fill, in bytes (the hosts advertise theirs; the smallest wins). */
  readonly runWorkBytes: number;
}

export const fileConfigShape = {
  FILE_MAX_BYTES: setting(SETTINGS.fileMaxBytes),
  ORG_FILE_QUOTA_BYTES: setting(SETTINGS.orgFileQuotaBytes),
  ARCHIVE_MAX_ENTRIES: setting(SETTINGS.archiveMaxEntries),
  ARCHIVE_MAX_UNPACKED_BYTES: setting(SETTINGS.archiveMaxUnpackedBytes),
  ARCHIVE_MAX_RATIO: setting(SETTINGS.archiveMaxRatio),
  RUN_TMPFS_MB: setting(SETTINGS.runTmpfsMb),
};

interface Parsed {
  FILE_MAX_BYTES: number;
  ORG_FILE_QUOTA_BYTES: number;
  ARCHIVE_MAX_ENTRIES: number;
  ARCHIVE_MAX_UNPACKED_BYTES: number;
  ARCHIVE_MAX_RATIO: number;
  RUN_TMPFS_MB: number;
}

export function toFileConfig(v: Parsed): FileConfig {
  return {
    maxBytes: v.FILE_MAX_BYTES,
    orgQuotaBytes: v.ORG_FILE_QUOTA_BYTES,
    archive: Object.freeze({
      maxEntries: v.ARCHIVE_MAX_ENTRIES,
      maxTotalBytes: v.ARCHIVE_MAX_UNPACKED_BYTES,
      maxRatio: v.ARCHIVE_MAX_RATIO,
      ratioFloorBytes: FIXED.archiveRatioFloorBytes,
      // The path shape under /work is the wire protocol's (the host checks it again).
      maxPathDepth: LIMITS.maxPathDepth,
      maxPathLength: LIMITS.maxPathLength,
    }),
    runWorkBytes: v.RUN_TMPFS_MB * 1024 * 1024,
  };
}
