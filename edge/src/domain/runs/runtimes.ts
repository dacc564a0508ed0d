import { LIMITS } from '@airlock/protocol';
import { z } from 'zod';
import type { SandboxHostRef } from './config.ts';

/**
 * The runtime list clients see: every language some reachable host offers, with its version and the
 * limits that apply. Hosts answer GET /runtimes (sandbox-host/src/host.ts); their answers are checked
 * here, never trusted as they come.
 */

const HostRuntimeSchema = z.object({
  language: z.string(),
  name: z.string(),
  version: z.string().nullable().optional(),
  fileName: z.string().optional(),
  compiled: z.boolean().optional(),
  limits: z
    .object({
      defaultTimeoutMs: z.number(),
      maxTimeoutMs: z.number(),
      compileTimeoutMs: z.number().nullable().optional(),
      defaultMemoryMb: z.number(),
      maxMemoryMb: z.number(),
      maxOutputBytes: z.number(),
    })
    .loose(),
});
const HostRuntimesSchema = z.object({ hostId: z.string(), runtimes: z.array(HostRuntimeSchema) });

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
}

export function mergeRuntimes(answers: { host: SandboxHostRef; body: unknown }[]): RuntimeList {
  const byLanguage = new Map<string, RuntimeView>();
  let reachableHosts = 0;
  for (const { body } of answers) {
    const parsed = HostRuntimesSchema.safeParse(body);
    if (!parsed.success) continue;
    reachableHosts += 1;
    for (const r of parsed.data.runtimes) {
      if (byLanguage.has(r.language)) continue;
      byLanguage.set(r.language, {
        language: r.language,
        name: r.name,
        version: r.version ?? null,
        fileName: r.fileName ?? null,
        compiled: r.compiled ?? false,
        limits: {
          defaultTimeoutMs: r.limits.defaultTimeoutMs,
          maxTimeoutMs: r.limits.maxTimeoutMs,
          compileTimeoutMs: r.limits.compileTimeoutMs ?? null,
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
  return { runtimes, reachableHosts };
}
