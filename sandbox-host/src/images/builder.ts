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
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { formatPackageRecord, parsePackageRecord } from './debian-versions.ts';
import { IMAGE_LABELS } from './freshness.ts';
import type { RuntimeManifest } from './manifest.ts';
import { debianSources } from './package-index.ts';

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

type BuildReporter = (language: string, message: string) => void;

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

/** Single-quotes a trusted build-time constant for a generated script or mmdebstrap hook. */
function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function script(argv: readonly string[], passArgs: boolean): string {
  return `#!/bin/sh\nexec ${argv.map(shQuote).join(' ')}${passArgs ? ' "$@"' : ''}\n`;
}

/** dpkg-query's output format for the package record: `name=version` per line (parsePackageRecord). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not a template.
const DPKG_RECORD_FORMAT = '${Package}=${Version}\\n';

const DPKG_EXCLUDES = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/lintian/*',
];

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
    ...DPKG_EXCLUDES.map((o) => `--dpkgopt=${o}`),
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
    `--customize-hook=chroot "$1" dpkg-query -W -f ${shQuote(DPKG_RECORD_FORMAT)} > ${shQuote(packagesFile)}`,
    manifest.suite,
    rootfs,
    // Explicit sources, the same the package index reads (package-index.ts): security updates come
    // from <suite>-security, so an image rebuilt after one is current again.
    ...debianSources(manifest.suite),
  ];

  report(lang, `mmdebstrap ${manifest.suite} + ${manifest.packages.join(' ')}`);
  const child = spawn('mmdebstrap', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const logLines: string[] = [];
  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      logLines.push(line);
      if (line.startsWith('I: ')) report(lang, line.slice(3));
    }
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  await writeFile(join(stage, 'mmdebstrap.log'), `${logLines.join('\n')}\n${pending}`);
  if (code !== 0) {
    throw new Error(`mmdebstrap failed for ${lang} (exit ${code}); see ${join(stage, 'mmdebstrap.log')}`);
  }

  // The rootfs goes to disk first and is imported from there: an import request left open while
  // mmdebstrap works for minutes (compilers, warm-up builds) was dropped by the engine ("socket hang up").
  // The version label needs the hook's output, which only exists once mmdebstrap is done: import to a
  // staging name first, then commit the final image with its config and labels (see finalizeImage).
  const staging = `airlock-staging-${lang}:${hash}`;
  const importStream = await docker.importImage(createReadStream(rootfs), {
    repo: `airlock-staging-${lang}`,
    tag: hash,
  });
  const importOutput = await streamText(importStream);
  await rm(rootfs, { force: true });
  if (importOutput.includes('"error"')) {
    throw new Error(`docker import failed for ${lang}: ${importOutput.slice(0, 500)}`);
  }
  const version = ((await readFile(versionFile, 'utf8')).split('\n')[0] ?? '').trim() || 'unknown';
  const packages = formatPackageRecord(parsePackageRecord(await readFile(packagesFile, 'utf8')));
  if (packages === '') throw new Error(`no package record for ${lang} (dpkg-query printed nothing)`);
  const previous = await docker
    .getImage(imageName(lang))
    .inspect()
    .then((i) => i.Id)
    .catch(() => null);
  await finalizeImage(docker, staging, manifest, { hash, version, packages });
  await removeImage(docker, staging);
  // The replaced image would otherwise linger untagged; if a container still uses it, it stays.
  if (previous) await removeImage(docker, previous, false);
  return { version };
}

/**
 * Applies the image config (user 65534, work dir, labels) by committing a never-started container of the
 * staged image with `changes`: the Engine API supports it directly and it copies no files.
 */
async function finalizeImage(
  docker: Docker,
  staging: string,
  manifest: RuntimeManifest,
  labels: { hash: string; version: string; packages: string },
): Promise<void> {
  const container = await docker.createContainer({
    Image: staging,
    Cmd: ['/bin/true'],
    NetworkDisabled: true,
  });
  try {
    const [repo, tag] = imageName(manifest.language).split(':');
    const changes = [
      'USER 65534:65534',
      'WORKDIR /work',
      'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8',
      'CMD ["/bin/sh"]',
      `LABEL ${IMAGE_LABELS.managed}=true`,
      `LABEL ${IMAGE_LABELS.language}=${JSON.stringify(manifest.language)}`,
      `LABEL ${IMAGE_LABELS.hash}=${JSON.stringify(labels.hash)}`,
      `LABEL ${IMAGE_LABELS.version}=${JSON.stringify(labels.version)}`,
      `LABEL ${IMAGE_LABELS.packages}=${JSON.stringify(labels.packages)}`,
    ];
    await container.commit({ repo, tag, changes });
  } finally {
    await container.remove({ force: true });
  }
}

async function removeImage(docker: Docker, name: string, force = true): Promise<void> {
  try {
    await docker.getImage(name).remove({ force });
  } catch {
    // already gone
  }
}

function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
