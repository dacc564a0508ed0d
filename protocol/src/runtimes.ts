import { z } from 'zod';

/**
 * A sandbox host's `GET /runtimes` answer: the languages whose images it has, each with the limits
 * that host applies. The host writes exactly this shape; the edge parses every answer with it (a host
 * is never trusted as it comes) before merging them into the list clients see. Unknown members are
 * dropped, so a host may add some without breaking an older edge.
 */
export const HostRuntimeLimitsSchema = z.object({
  defaultTimeoutMs: z.number(),
  maxTimeoutMs: z.number(),
  /** The compile step's own timeout, for compiled languages. */
  compileTimeoutMs: z.number().nullable(),
  defaultMemoryMb: z.number(),
  maxMemoryMb: z.number(),
  maxOutputBytes: z.number(),
  maxCodeBytes: z.number(),
  maxStdinBytes: z.number(),
  /** Process limit of a run's container. */
  pids: z.number(),
  /** CPUs a run's container may use. */
  cpus: z.number(),
});
export type HostRuntimeLimits = z.infer<typeof HostRuntimeLimitsSchema>;

export const HostRuntimeSchema = z.object({
  language: z.string(),
  /** Display name, e.g. "Python". */
  name: z.string(),
  /** The interpreter's or compiler's version, as its image reports it. */
  version: z.string().nullable(),
  /** The file a `code` request is written to. */
  fileName: z.string(),
  compiled: z.boolean(),
  limits: HostRuntimeLimitsSchema,
});
export type HostRuntime = z.infer<typeof HostRuntimeSchema>;

export const HostRuntimesSchema = z.object({
  hostId: z.string(),
  runtimes: z.array(HostRuntimeSchema),
  /**
   * The size of a run's /work on this host (its RUN_TMPFS_MB), in bytes: what a run's files may fill.
   * The edge refuses a run whose files do not fit before recording it. Optional: an older host does
   * not send it, and the edge then goes by its own RUN_TMPFS_MB.
   */
  workBytes: z.number().int().positive().optional(),
});
export type HostRuntimes = z.infer<typeof HostRuntimesSchema>;
