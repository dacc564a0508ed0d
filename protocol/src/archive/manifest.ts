import { type ArchiveKind, type ArchiveLimits, ArchiveRejected } from './limits.ts';

/**
 * The one place an entry's name becomes a path under `/work`, and where the limits are counted.
 * Names are refused when they try to leave their place (absolute, drive letter, backslash, `..`)
 * and sanitised when they only use characters outside the safe set: each such character becomes
 * `_`, and the manifest shows the mapping. Both archive readers feed every entry through `add`
 * and every unpacked byte through `charge`.
 */

export type EntryType = 'file' | 'dir';

export interface ManifestEntry {
  path: string;
  type: EntryType;
  /** Unpacked bytes (0 for a directory). */
  size: number;
}

export interface ManifestRename {
  /** The name as the archive spells it (bytes that are not UTF-8 shown as U+FFFD). */
  from: string;
  to: string;
}

export interface ArchiveManifest {
  kind: ArchiveKind;
  entries: ManifestEntry[];
  files: number;
  /** Sum of the file sizes. */
  totalBytes: number;
  renamed: ManifestRename[];
}

/** Characters a path segment keeps; anything else becomes `_`. */
const UNSAFE_CHAR = /[^A-Za-z0-9._+-]/g;
const DRIVE = /^[A-Za-z]:/;
const utf8 = new TextEncoder();

export type NormalisedPath = { path: string; renamed: boolean } | { skip: true };

/** `name` as a relative path of safe segments, or throws ArchiveRejected. `./` and `.` segments go. */
export function normaliseEntryPath(name: string, type: EntryType, limits: ArchiveLimits): NormalisedPath {
  // Bounds the work below before anything is split (a sanitised name is never longer than the raw one).
  if (name.length > 4 * limits.maxPathLength)
    throw new ArchiveRejected('path_too_long', 'an entry name is too long');
  if (name.includes('\\')) throw new ArchiveRejected('unsafe_path', 'an entry name contains a backslash');
  if (name.startsWith('/')) throw new ArchiveRejected('unsafe_path', 'an entry has an absolute path');
  if (DRIVE.test(name)) throw new ArchiveRejected('unsafe_path', 'an entry name starts with a drive letter');
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new ArchiveRejected('unsafe_path', 'an entry name has a ".." segment');
  if (segments.length === 0) {
    if (type === 'dir') return { skip: true };
    throw new ArchiveRejected('unsafe_path', 'a file entry has an empty name');
  }
  if (segments.length > limits.maxPathDepth) {
    throw new ArchiveRejected(
      'path_too_deep',
      `an entry is nested deeper than ${limits.maxPathDepth} levels`,
    );
  }
  const safe = segments.map((s) => s.replace(UNSAFE_CHAR, '_'));
  const path = safe.join('/');
  if (utf8.encode(path).length > limits.maxPathLength) {
    throw new ArchiveRejected('path_too_long', `an entry path is longer than ${limits.maxPathLength} bytes`);
  }
  return { path, renamed: safe.some((s, i) => s !== segments[i]) };
}

export class ManifestBuilder {
  readonly #limits: ArchiveLimits;
  readonly #archiveBytes: number;
  readonly #entries: ManifestEntry[] = [];
  readonly #renamed: ManifestRename[] = [];
  /** Every path taken, and every directory a file implies, to find collisions. */
  readonly #files = new Set<string>();
  readonly #dirs = new Set<string>();
  readonly #listedDirs = new Set<string>();
  #total = 0;

  constructor(limits: ArchiveLimits, archiveBytes: number) {
    this.#limits = limits;
    this.#archiveBytes = archiveBytes;
  }

  get maxEntries(): number {
    return this.#limits.maxEntries;
  }

  /** Refuses a declared entry count over the limit before any entry is read. */
  checkCount(declared: number): void {
    if (declared > this.#limits.maxEntries) throw this.#tooMany();
  }

  #tooMany(): ArchiveRejected {
    return new ArchiveRejected(
      'too_many_entries',
      `an archive may hold at most ${this.#limits.maxEntries} entries`,
    );
  }

  /** Records an entry (size as declared; the bytes are charged as they unpack). Undefined: skipped. */
  add(name: string, type: EntryType, declaredSize: number): ManifestEntry | undefined {
    if (this.#entries.length >= this.#limits.maxEntries) throw this.#tooMany();
    const normalised = normaliseEntryPath(name, type, this.#limits);
    if ('skip' in normalised) return undefined;
    const { path } = normalised;
    const parts = path.split('/');
    const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    const duplicate = () =>
      new ArchiveRejected('duplicate_path', `two entries are both "${path}" once normalised`);
    if (this.#files.has(path) || this.#listedDirs.has(path)) throw duplicate();
    if (parents.some((p) => this.#files.has(p))) throw duplicate();
    if (type === 'file' && this.#dirs.has(path)) throw duplicate();
    for (const p of parents) this.#dirs.add(p);
    if (type === 'file') this.#files.add(path);
    else {
      this.#listedDirs.add(path);
      this.#dirs.add(path);
    }
    if (type === 'file' && this.#total + declaredSize > this.#limits.maxTotalBytes) throw this.#tooLarge();
    if (normalised.renamed) this.#renamed.push({ from: name, to: path });
    const entry: ManifestEntry = { path, type, size: type === 'file' ? declaredSize : 0 };
    this.#entries.push(entry);
    return entry;
  }

  /** Counts `n` unpacked bytes against the size and ratio limits: the stop for bombs. */
  charge(n: number): void {
    this.#total += n;
    if (this.#total > this.#limits.maxTotalBytes) throw this.#tooLarge();
    const { maxRatio, ratioFloorBytes } = this.#limits;
    if (this.#total > ratioFloorBytes && this.#total > maxRatio * this.#archiveBytes) {
      throw new ArchiveRejected(
        'compression_ratio',
        `the archive unpacks to more than ${maxRatio} times its size`,
      );
    }
  }

  #tooLarge(): ArchiveRejected {
    return new ArchiveRejected(
      'too_large',
      `an archive may unpack to at most ${this.#limits.maxTotalBytes} bytes`,
    );
  }

  finish(kind: ArchiveKind): ArchiveManifest {
    const files = this.#entries.filter((e) => e.type === 'file');
    return {
      kind,
      entries: this.#entries,
      files: files.length,
      totalBytes: files.reduce((n, e) => n + e.size, 0),
      renamed: this.#renamed,
    };
  }
}
