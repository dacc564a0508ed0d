/**
 * What a run's /work holds (issue 15): inline `code` or `files`, plus the mounted uploads. Archives
 * are read again here with the shared reader (the host never trusts the edge's manifest): only
 * validated relative paths, regular files and directories come out, as bytes in memory, and the
 * host packs them into the tar the container extracts. Nothing is written to the host's disk.
 * The whole must fit /work (tmpfs pages counted as the edge counts them). A run's `entry` runs as
 * the runtime's file name (its content copied there), except in Java, where it is moved to the name
 * its public class needs, as inline Java files are (runner/entry.ts).
 */
import { LIMITS, type RunRequest, workFootprint } from '@airlock/protocol';
import { readArchive } from '@airlock/protocol/archive';
import type { RuntimeManifest } from '../images/manifest.ts';
import { javaEntryPath } from './entry.ts';

export interface WorkEntry {
  path: string;
  type: 'file' | 'dir';
  content: Buffer;
}

/** With an `entry`, the file it runs as comes first (runner/entry.ts plans its commands from it). */
export type WorkTree = { ok: true; entries: WorkEntry[] } | { ok: false; message: string };

export function buildWorkTree(
  request: RunRequest,
  /** The runtime: its file name is where `code` goes and what an `entry` runs as (Java: see entry.ts). */
  manifest: RuntimeManifest,
  mounts: readonly Buffer[],
  workBytes: number,
): WorkTree {
  const entries: WorkEntry[] = [];
  const taken = new Set<string>();
  const add = (entry: WorkEntry): string | undefined => {
    if (taken.has(entry.path)) return `two files would be /work/${entry.path}`;
    taken.add(entry.path);
    entries.push(entry);
    return undefined;
  };
  const file = (path: string, content: Buffer): WorkEntry => ({ path, type: 'file', content });

  if (request.code !== undefined) add(file(manifest.fileName, Buffer.from(request.code, 'utf8')));
  for (const f of request.files ?? []) add(file(f.name, Buffer.from(f.content, 'utf8')));
  const limits = {
    maxEntries: LIMITS.maxArchiveEntries,
    maxTotalBytes: workBytes,
    // The total is bounded by /work itself, which is what matters here.
    maxRatio: Number.MAX_SAFE_INTEGER,
    ratioFloorBytes: 0,
    maxPathDepth: LIMITS.maxPathDepth,
    maxPathLength: LIMITS.maxPathLength,
  };
  for (const [i, mount] of (request.mounts ?? []).entries()) {
    const bytes = mounts[i];
    if (!bytes) return { ok: false, message: 'a mounted file is missing' };
    if (mount.kind === 'file') {
      const problem = add(file(mount.name, bytes));
      if (problem) return { ok: false, message: problem };
      continue;
    }
    let problem: string | undefined;
    const read = readArchive(
      mount.kind,
      new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
      limits,
      (path, content) => {
        problem ??= add(file(path, Buffer.from(content.buffer, content.byteOffset, content.length)));
      },
    );
    if (!read.ok) return { ok: false, message: `${mount.name}: ${read.message}` };
    if (problem) return { ok: false, message: problem };
    for (const e of read.manifest.entries) {
      if (e.type === 'dir' && !taken.has(e.path))
        entries.push({ path: e.path, type: 'dir', content: Buffer.alloc(0) });
    }
  }

  if (request.entry !== undefined) {
    const at = entries.findIndex((e) => e.type === 'file' && e.path === request.entry);
    const entry = entries[at];
    if (!entry) return { ok: false, message: `entry: ${request.entry} is not one of the mounted files` };
    let first: WorkEntry;
    if (manifest.language === 'java') {
      // javac wants a public class X in X.java: the entry moves there, in its own directory.
      entries.splice(at, 1);
      taken.delete(entry.path);
      first = {
        ...entry,
        path: javaEntryPath(manifest, entry.path, entry.content.toString('utf8'), (p) => taken.has(p)),
      };
      taken.add(first.path);
    } else if (entry.path === manifest.fileName) {
      entries.splice(at, 1);
      first = entry;
    } else {
      // The runtime runs its own file name: the entry's content goes there too.
      if (taken.has(manifest.fileName))
        return { ok: false, message: `entry: two files would be /work/${manifest.fileName}` };
      taken.add(manifest.fileName);
      first = file(manifest.fileName, entry.content);
    }
    entries.unshift(first);
  }
  const needed = workFootprint(entries.filter((e) => e.type === 'file').map((e) => e.content.length));
  if (needed > workBytes)
    return { ok: false, message: `the files need ${needed} bytes of /work; it has ${workBytes}` };
  return { ok: true, entries };
}
