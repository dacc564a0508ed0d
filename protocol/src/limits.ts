/** The wire format's limits: what a run request may ask for and how large a frame may be. */
export const LIMITS = {
  /** Total source size: `code`, or the sum of all `files` contents (UTF-8 bytes). */
  maxCodeBytes: 256 * 1024,
  maxFiles: 32,
  maxFileNameLength: 64,
  maxStdinBytes: 1024 * 1024,
  maxArgs: 32,
  maxArgBytes: 4096,
  /** Per stream; beyond it the run is killed with status `output_limited`. */
  maxOutputBytes: 1024 * 1024,
  /** Output frames carry at most this many bytes of output. */
  outputChunkBytes: 16 * 1024,
  defaultTimeoutMs: 5000,
  maxTimeoutMs: 15_000,
  minTimeoutMs: 100,
  defaultMemoryMb: 256,
  minMemoryMb: 32,
  /** Absolute ceiling of the wire format; a host may allow less (see its `/runtimes`). */
  maxMemoryMb: 2048,
  /** Largest client → host frame (a run request with maximal code and stdin, JSON-escaped). */
  maxClientFrameBytes: 4 * 1024 * 1024,
  /** Largest host → client frame (an `exit` frame with both streams at their limit, JSON-escaped). */
  maxHostFrameBytes: 16 * 1024 * 1024,
  /** Uploaded files one run may mount, the largest one, and the binary frames their bytes travel in. */
  maxMounts: 8,
  maxMountBytes: 64 * 1024 * 1024,
  mountChunkBytes: 1024 * 1024,
  /** Archive entries: the ceiling of any inspection, and the path shape under /work (both sides). */
  maxArchiveEntries: 100_000,
  maxPathDepth: 32,
  maxPathLength: 255,
  /** A connection with no run in flight and no message for this long is closed. */
  idleTimeoutMs: 60_000,
} as const;
