/**
 * Packs a run's /work into an in-memory tar with tar-stream: the inline source (≤ 256 KiB) and the
 * validated entries of mounted files (≤ the /work tmpfs). Regular files and directories only, with
 * fixed modes; paths are the validated relative paths of runner/work-tree.ts.
 */

import { pack } from 'tar-stream';
import type { WorkEntry } from './work-tree.ts';

export function packFiles(entries: readonly WorkEntry[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tar = pack();
    const chunks: Buffer[] = [];
    tar.on('data', (c: unknown) => chunks.push(c as Buffer));
    tar.on('end', () => resolve(Buffer.concat(chunks)));
    tar.on('error', reject);
    const mtime = new Date();
    // Directories first, so each exists (with its mode) before anything is extracted into it.
    for (const e of entries)
      if (e.type === 'dir') tar.entry({ name: e.path, type: 'directory', mode: 0o755, mtime });
    for (const e of entries)
      if (e.type === 'file') tar.entry({ name: e.path, type: 'file', mode: 0o644, mtime }, e.content);
    tar.finalize();
  });
}
