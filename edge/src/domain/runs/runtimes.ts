import { HostRuntimesSchema, LIMITS } from '@airlock/protocol';
import type { SandboxHostRef } from './config.ts';

/**
 * The runtime list clients see: every language some reachable host offers, with its version and the
 * limits that apply. Hosts answer GET /runtimes with the protocol's `HostRuntimesSchema`; their answers
 * are parsed with it here, never trusted as they come.
 */

export interface RuntimeView {
  language: string;
  name: string;
  version: string | null;
  fileName: string | null;
  compiled: boolean;
  limits: {
    defaultTimeoutMs: number;
    maxTimeoutMs: number;
    compileTimeoutMs: number | null;
    defaultMemoryMb: number;
    maxMemoryMb: number;
    maxOutputBytes: number;
    maxCodeBytes: number;
    maxStdinBytes: number;
  };
}

export interface RuntimeList {
  runtimes: RuntimeView[];
  /** How many of the configured hosts answered. */
  reachableHosts: number;
  /**
   * The smallest /work (bytes) a reachable host advertises, so that files that fit it fit any host
   * the run may go to; null when no host advertises one (the edge's RUN_TMPFS_MB applies alone).
   */
  workBytes: number | null;
}

export function mergeRuntimes(answers: { host: SandboxHostRef; body: unknown }[]): RuntimeList {
  const byLanguage = new Map<string, RuntimeView>();
  let reachableHosts = 0;
  let workBytes: number | null = null;
  for (const { body } of answers) {
    const parsed = HostRuntimesSchema.safeParse(body);
    if (!parsed.success) continue;
    reachableHosts += 1;
    const work = parsed.data.workBytes;
    if (work !== undefined) workBytes = workBytes === null ? work : Math.min(workBytes, work);
    for (const r of parsed.data.runtimes) {
      if (byLanguage.has(r.language)) continue;
      byLanguage.set(r.language, {
        language: r.language,
        name: r.name,
        version: r.version,
        fileName: r.fileName,
        compiled: r.compiled,
        limits: {
          defaultTimeoutMs: r.limits.defaultTimeoutMs,
          maxTimeoutMs: r.limits.maxTimeoutMs,
          compileTimeoutMs: r.limits.compileTimeoutMs,
          defaultMemoryMb: r.limits.defaultMemoryMb,
          maxMemoryMb: r.limits.maxMemoryMb,
          maxOutputBytes: r.limits.maxOutputBytes,
          maxCodeBytes: LIMITS.maxCodeBytes,
          maxStdinBytes: LIMITS.maxStdinBytes,
        },
      });
    }
  }
  const runtimes = [...byLanguage.values()].sort((a, b) => a.language.localeCompare(b.language));
  return { runtimes, reachableHosts, workBytes };
}
