/**
 * The registry-free image pipeline both image kinds share (runtime images, builder.ts; the sandbox
 * host's own image, host-image.ts): mmdebstrap writes a Debian root file system as a tar, the Engine
 * imports it under a staging name, and a never-started container of it is committed under the final
 * name with the image config (`changes`) and labels, which copies no files.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { formatPackageRecord, parsePackageRecord } from './debian-versions.ts';

export type BuildReporter = (name: string, message: string) => void;

/** Single-quotes a trusted build-time constant for a generated script or mmdebstrap hook. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export const DPKG_EXCLUDES = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/lintian/*',
].map((o) => `--dpkgopt=${o}`);

/** dpkg-query's output format for the package record: `name=version` per line (parsePackageRecord). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not a template.
const DPKG_RECORD_FORMAT = '${Package}=${Version}\\n';

/** The mmdebstrap hook that writes the image's package record to `file` (on the build machine). */
export function packageRecordHook(file: string): string {
  return `--customize-hook=chroot "$1" dpkg-query -W -f ${shQuote(DPKG_RECORD_FORMAT)} > ${shQuote(file)}`;
}

/** The record written by packageRecordHook, as the `airlock.packages` label's value. */
export async function readPackageRecord(file: string, name: string): Promise<string> {
  const packages = formatPackageRecord(parsePackageRecord(await readFile(file, 'utf8')));
  if (packages === '') throw new Error(`no package record for ${name} (dpkg-query printed nothing)`);
  return packages;
}

/** Runs mmdebstrap, reporting its `I:` lines; the whole log goes to `<stage>/mmdebstrap.log`. */
export async function runMmdebstrap(
  name: string,
  args: readonly string[],
  stage: string,
  report: BuildReporter,
): Promise<void> {
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
      if (line.startsWith('I: ')) report(name, line.slice(3));
    }
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  await writeFile(join(stage, 'mmdebstrap.log'), `${logLines.join('\n')}\n${pending}`);
  if (code !== 0) {
    throw new Error(`mmdebstrap failed for ${name} (exit ${code}); see ${join(stage, 'mmdebstrap.log')}`);
  }
}

/**
 * Imports `rootfs` and commits it as `image` with `changes` (Dockerfile-style config lines); the image
 * it replaces is removed unless a container still uses it. The rootfs goes to disk first and is
 * imported from there: an import request left open while mmdebstrap works for minutes (compilers,
 * warm-up builds) was dropped by the engine ("socket hang up").
 */
export async function importRootfs(
  docker: Docker,
  rootfs: string,
  image: string,
  stagingTag: string,
  changes: readonly string[],
): Promise<void> {
  const [repo, tag] = image.split(':');
  const stagingRepo = `airlock-staging-${repo}`;
  const importStream = await docker.importImage(createReadStream(rootfs), {
    repo: stagingRepo,
    tag: stagingTag,
  });
  const importOutput = await streamText(importStream);
  await rm(rootfs, { force: true });
  if (importOutput.includes('"error"')) {
    throw new Error(`docker import failed for ${image}: ${importOutput.slice(0, 500)}`);
  }
  const staging = `${stagingRepo}:${stagingTag}`;
  const previous = await docker
    .getImage(image)
    .inspect()
    .then((i) => i.Id)
    .catch(() => null);
  const container = await docker.createContainer({
    Image: staging,
    Cmd: ['/bin/true'],
    NetworkDisabled: true,
  });
  try {
    await container.commit({ repo, tag, changes: [...changes] });
  } finally {
    await container.remove({ force: true });
  }
  await removeImage(docker, staging);
  // The replaced image would otherwise linger untagged; if a container still uses it, it stays.
  if (previous) await removeImage(docker, previous, false);
}

async function removeImage(docker: Docker, name: string, force = true): Promise<void> {
  try {
    await docker.getImage(name).remove({ force });
  } catch {
    // already gone, or still in use (force = false)
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
