/**
 * Builds runtime images from Debian packages without any container registry:
 * mmdebstrap (essential variant + the manifest's packages) streams a root file system as a tar straight
 * into the Engine API's image import. The image is labelled with a hash of everything that shaped it
 * (manifest, extra files, builder version), so a current image is skipped. Downloaded .debs are kept in
 * a per-language cache directory so a rebuild does not download again.
 *
 * Trade-off: mmdebstrap needs root (or user namespaces) on the build machine; production hosts build the
 * same way (docker-compose.sandbox.yml documents it), so CI and production images are identical in kind.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { IMAGE_LABELS } from './freshness.ts';
import type { RuntimeManifest } from './manifest.ts';
import { debianSources } from './package-index.ts';
import {
  type BuildReporter,
  DPKG_EXCLUDES,
  importRootfs,
  packageRecordHook,
  readPackageRecord,
  runMmdebstrap,
  shQuote,
} from './rootfs.ts';

/** Bump when the build procedure changes in a way that should rebuild every image. */
const BUILDER_VERSION = '3';
const FILES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'files');

export function imageName(language: string): string {
  return `airlock-runtime-${language}:latest`;
}

interface BuildPaths {
  /** Per-language .deb caches live below this directory. */
  readonly cacheDir: string;
  /** Scratch space for generated scripts and logs. */
  readonly workDir: string;
}

export async function manifestHash(manifest: RuntimeManifest): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ builder: BUILDER_VERSION, manifest }));
  for (const file of manifest.files ?? []) {
    hash.update(file);
    hash.update(await readFile(join(FILES_DIR, file)));
  }
  return hash.digest('hex').slice(0, 32);
}

/** The installed image's labels, or null when it is not installed. */
export async function imageLabels(docker: Docker, language: string): Promise<Record<string, string> | null> {
  try {
    const info = await docker.getImage(imageName(language)).inspect();
    return info.Config?.Labels ?? {};
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}

function script(argv: readonly string[], passArgs: boolean): string {
  return `#!/bin/sh\nexec ${argv.map(shQuote).join(' ')}${passArgs ? ' "$@"' : ''}\n`;
}

export async function buildImage(
  docker: Docker,
  manifest: RuntimeManifest,
  paths: BuildPaths,
  report: BuildReporter,
): Promise<{ version: string }> {
  const lang = manifest.language;
  const hash = await manifestHash(manifest);
  const stage = join(paths.workDir, lang);
  const opt = join(stage, 'airlock');
  const cache = join(paths.cacheDir, lang);
  const versionFile = join(stage, 'version.txt');
  // The builder's record of what the image holds; the same list becomes the image's packages label.
  const packagesFile = join(stage, 'packages.txt');
  const rootfs = join(stage, 'rootfs.tar');
  await rm(stage, { recursive: true, force: true });
  await mkdir(opt, { recursive: true });
  await mkdir(cache, { recursive: true });
  await writeFile(join(opt, 'run'), script(manifest.run, true), { mode: 0o755 });
  if (manifest.compile)
    await writeFile(join(opt, 'compile'), script(manifest.compile, false), { mode: 0o755 });
  if (manifest.preload)
    await writeFile(join(opt, 'preload'), script(manifest.preload, false), { mode: 0o755 });
  for (const file of manifest.files ?? []) {
    await writeFile(join(opt, file), await readFile(join(FILES_DIR, file)), { mode: 0o644 });
  }

  const args = [
    '--variant=essential',
    '--format=tar',
    `--include=${manifest.packages.join(',')}`,
    '--skip=download/empty',
    ...DPKG_EXCLUDES,
    '--setup-hook=mkdir -p "$1"/var/cache/apt/archives',
    // Man pages are excluded, but update-alternatives (e.g. OpenJDK's) still links into man1.
    '--setup-hook=mkdir -p "$1"/usr/share/man/man1',
    `--setup-hook=sync-in ${cache} /var/cache/apt/archives/`,
    `--customize-hook=sync-out /var/cache/apt/archives ${cache}`,
    '--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb',
    '--customize-hook=mkdir -p "$1"/opt "$1"/work',
    `--customize-hook=copy-in ${opt} /opt/`,
    '--customize-hook=chmod -R a+rX "$1"/opt/airlock',
    ...(manifest.buildSteps ?? []).map(
      (step) => `--customize-hook=chroot "$1" ${step.map(shQuote).join(' ')}`,
    ),
    '--customize-hook=rm -rf "$1"/tmp/* "$1"/root/.cache',
    // A clean environment: the builder's own variables must not leak into the version output.
    `--customize-hook=chroot "$1" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp ${manifest.version.map(shQuote).join(' ')} > ${shQuote(versionFile)} 2>&1`,
    packageRecordHook(packagesFile),
    manifest.suite,
    rootfs,
    // Explicit sources, the same the package index reads (package-index.ts): security updates come
    // from <suite>-security, so an image rebuilt after one is current again.
    ...debianSources(manifest.suite),
  ];

  report(lang, `mmdebstrap ${manifest.suite} + ${manifest.packages.join(' ')}`);
  await runMmdebstrap(lang, args, stage, report);
  // The version label needs the hook's output, which only exists once mmdebstrap is done.
  const version = ((await readFile(versionFile, 'utf8')).split('\n')[0] ?? '').trim() || 'unknown';
  const packages = await readPackageRecord(packagesFile, lang);
  await importRootfs(docker, rootfs, imageName(lang), hash, [
    'USER 65534:65534',
    'WORKDIR /work',
    'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8',
    'CMD ["/bin/sh"]',
    `LABEL ${IMAGE_LABELS.managed}=true`,
    `LABEL ${IMAGE_LABELS.language}=${JSON.stringify(lang)}`,
    `LABEL ${IMAGE_LABELS.hash}=${JSON.stringify(hash)}`,
    `LABEL ${IMAGE_LABELS.version}=${JSON.stringify(version)}`,
    `LABEL ${IMAGE_LABELS.packages}=${JSON.stringify(packages)}`,
  ]);
  return { version };
}
