/** Where the image builder keeps its .deb caches, the Debian package index and its scratch space. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface BuilderDirs {
  /** Per-language .deb caches live below this directory. */
  readonly cacheDir: string;
  /** One private apt state directory per Debian suite (package-index.ts). */
  readonly indexDir: string;
  /** Scratch space for generated scripts, logs and each image's package record. */
  readonly workDir: string;
}

export function builderDirs(env: NodeJS.ProcessEnv = process.env): BuilderDirs {
  const root = process.getuid?.() === 0;
  return {
    cacheDir:
      env.AIRLOCK_IMAGE_CACHE_DIR ?? (root ? '/var/cache/airlock/debs' : join(repoRoot, '.local/cache/debs')),
    indexDir: root ? '/var/cache/airlock/debian-index' : join(repoRoot, '.local/cache/debian-index'),
    workDir: join(repoRoot, '.local/image-build'),
  };
}
