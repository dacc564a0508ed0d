/** What is installed: manifests whose image exists and is current, with the version from its label. */
import { type HostRuntimes, LIMITS } from '@airlock/protocol';
import type Docker from 'dockerode';
import type { HostConfig } from './config.ts';
import { imageName, manifestHash } from './images/builder.ts';
import { IMAGE_LABELS } from './images/freshness.ts';
import type { RuntimeManifest } from './images/manifest.ts';

export interface InstalledRuntime {
  manifest: RuntimeManifest;
  version: string;
  current: boolean;
}

export async function discoverRuntimes(
  docker: Docker,
  manifests: readonly RuntimeManifest[],
): Promise<InstalledRuntime[]> {
  const found = await Promise.all(
    manifests.map(async (manifest) => {
      try {
        const info = await docker.getImage(imageName(manifest.language)).inspect();
        const labels = info.Config?.Labels ?? {};
        return {
          manifest,
          version: labels[IMAGE_LABELS.version] ?? 'unknown',
          current: labels[IMAGE_LABELS.hash] === (await manifestHash(manifest)),
        };
      } catch {
        return null;
      }
    }),
  );
  return found.filter((r): r is InstalledRuntime => r !== null);
}

/** The `GET /runtimes` answer (the protocol's `HostRuntimesSchema`, which the edge parses it with). */
export function runtimesAnswer(config: HostConfig, runtimes: readonly InstalledRuntime[]): HostRuntimes {
  return {
    hostId: config.hostId,
    // Advertised so that the edge need not be told the same number by hand (issue 15).
    workBytes: config.workBytes,
    runtimes: runtimes.map((r) => ({
      language: r.manifest.language,
      name: r.manifest.displayName,
      version: r.version,
      fileName: r.manifest.fileName,
      compiled: r.manifest.compile !== undefined,
      limits: {
        defaultTimeoutMs: config.defaultTimeoutMs,
        maxTimeoutMs: config.maxTimeoutMs,
        compileTimeoutMs: r.manifest.compileLimits?.timeoutMs ?? null,
        defaultMemoryMb: config.defaultMemoryMb,
        maxMemoryMb: config.maxMemoryMb,
        maxOutputBytes: config.maxOutputBytes,
        maxCodeBytes: LIMITS.maxCodeBytes,
        maxStdinBytes: LIMITS.maxStdinBytes,
        pids: config.pidsLimit,
        cpus: config.nanoCpus / 1e9,
      },
    })),
  };
}
