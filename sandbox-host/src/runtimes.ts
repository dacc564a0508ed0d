/** What is installed: manifests whose image exists and is current, with the version from its label. */
import type Docker from 'dockerode';
import { IMAGE_LABELS, imageName, manifestHash } from './images/builder.ts';
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
