/**
 * What a run's /work holds (issue 15): inline `code` or `files`, plus the mounted uploads. Archives
 * are read again here with the shared reader (the host never trusts the edge's manifest): only
 * validated relative paths, regular files and directories come out, as bytes in memory, and the
 * host packs them into the tar the container extracts. Nothing is written to the host's disk.
 * The whole must fit /work (tmpfs pages counted as the edge counts them).
 */
import { LIMITS, type RunRequest, workFootprint } from '@airlock/protocol';
import { readArchive } from '@airlock/protocol/archive';

export interface WorkEntry {
  path: string;
  type: 'file' | 'dir';
  content: Buffer;
}

export type WorkTree = { ok: true; entries: WorkEntry[] } | { ok: false; message: string };

export function buildWorkTree(
  request: RunRequest,
  /** The runtime's file name: where `code` goes and what an `entry` runs as. */
  fileName: string,
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

  if (request.code !== undefined) add(file(fileName, Buffer.from(request.code, 'utf8')));
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

  if (request.entry !== undefined && request.entry !== fileName) {
    // The runtime runs its own file name: the entry's content goes there too.
    const entry = entries.find((e) => e.type === 'file' && e.path === request.entry);
    if (!entry) return { ok: false, message: `entry: ${request.entry} is not one of the mounted files` };
    const problem = add(file(fileName, entry.content));
    if (problem) return { ok: false, message: `entry: ${problem}` };
  }
  const needed = workFootprint(entries.filter((e) => e.type === 'file').map((e) => e.content.length));
  if (needed > workBytes)
    return { ok: false, message: `the files need ${needed} bytes of /work; it has ${workBytes}` };
  return { ok: true, entries };
}
