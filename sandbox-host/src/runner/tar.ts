/** Packs the run's source files into an in-memory tar (≤ 256 KiB of content) with tar-stream. */

import type { SourceFile } from '@airlock/protocol';
import { pack } from 'tar-stream';

export function packFiles(files: readonly SourceFile[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tar = pack();
    const chunks: Buffer[] = [];
    tar.on('data', (c: unknown) => chunks.push(c as Buffer));
    tar.on('end', () => resolve(Buffer.concat(chunks)));
    tar.on('error', reject);
    const mtime = new Date();
    for (const file of files) {
      // Names are validated flat names (protocol FileNameSchema): regular files only, no links.
      tar.entry({ name: file.name, type: 'file', mode: 0o644, mtime }, Buffer.from(file.content, 'utf8'));
    }
    tar.finalize();
  });
}
