/**
 * The Debian archive index the images are built from, kept in a private apt state directory per suite
 * (never the machine's own apt state): the same sources mmdebstrap installs from (the suite, its
 * `-updates` and its `-security` pockets, signed by Debian's archive keyring), so a version apt reports
 * here is one a rebuild would install.
 *
 * Trade-off: `apt-get update` costs a few seconds (the first time, ~10 MB for trixie), so `build` only
 * refreshes an index older than `maxAgeMs` and `status` always refreshes; `apt-cache policy` then answers
 * for all recorded packages in one call (~1 s).
 */
import { execFile } from 'node:child_process';
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAptPolicy } from './debian-versions.ts';
import type { RuntimeManifest } from './manifest.ts';

const run = promisify(execFile);

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const MIRROR = 'http://deb.debian.org/debian';
const SECURITY_MIRROR = 'http://security.debian.org/debian-security';

type Suite = RuntimeManifest['suite'];

/** sources.list lines for a suite: passed to mmdebstrap as its mirrors and written for the index. */
export function debianSources(suite: Suite): string[] {
  const signed = `[signed-by=${KEYRING}]`;
  return [
    `deb ${signed} ${MIRROR} ${suite} main`,
    `deb ${signed} ${MIRROR} ${suite}-updates main`,
    `deb ${signed} ${SECURITY_MIRROR} ${suite}-security main`,
  ];
}

/** apt options that confine apt to `dir`: its own sources, lists, cache and an empty dpkg status. */
function aptOptions(dir: string): string[] {
  const o = (kv: string) => ['-o', kv];
  return [
    ...o(`Dir::State=${dir}`),
    ...o(`Dir::State::Lists=${join(dir, 'lists')}`),
    ...o(`Dir::State::status=${join(dir, 'status')}`),
    ...o(`Dir::Cache=${join(dir, 'cache')}`),
    ...o(`Dir::Etc::SourceList=${join(dir, 'sources.list')}`),
    ...o(`Dir::Etc::SourceParts=${join(dir, 'sources.list.d')}`),
    ...o(`Dir::Etc::Preferences=${join(dir, 'preferences')}`),
    ...o(`Dir::Etc::PreferencesParts=${join(dir, 'preferences.d')}`),
    ...o('Debug::NoLocking=1'),
    ...o('Acquire::Languages=none'),
    ...o('Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false'),
  ];
}

/** The stamp's mtime is when the index was last refreshed successfully. */
function stampPath(dir: string): string {
  return join(dir, 'refreshed');
}

export async function indexAgeMs(dir: string, now: number): Promise<number | null> {
  try {
    return now - (await stat(stampPath(dir))).mtimeMs;
  } catch {
    return null;
  }
}

/** Brings the suite's index up to date unless it was refreshed less than `maxAgeMs` ago. */
export async function refreshIndex(dir: string, suite: Suite, maxAgeMs: number, now: number): Promise<void> {
  const age = await indexAgeMs(dir, now);
  if (age !== null && age < maxAgeMs) return;
  for (const sub of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'preferences.d']) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  await writeFile(join(dir, 'sources.list'), `${debianSources(suite).join('\n')}\n`);
  await writeFile(join(dir, 'status'), '');
  try {
    // --error-on=any: by default a source that fails to download is only a warning, and an index with
    // a pocket missing would silently miss that pocket's security updates.
    await run('apt-get', ['-q', ...aptOptions(dir), 'update', '--error-on=any'], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`apt-get update for ${suite} failed: ${detail || (err as Error).message}`);
  }
  await writeFile(stampPath(dir), '');
  const t = new Date(now);
  await utimes(stampPath(dir), t, t);
}

/** The newest version the suite's index offers for each of `names` (unknown names are absent). */
export async function availableVersions(dir: string, names: readonly string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const { stdout } = await run('apt-cache', [...aptOptions(dir), 'policy', ...names], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAptPolicy(stdout);
}
