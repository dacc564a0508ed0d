import type { RuntimeManifest } from '../manifest.ts';

export const c: RuntimeManifest = {
  language: 'c',
  displayName: 'C (GCC)',
  suite: 'trixie',
  packages: ['gcc', 'libc6-dev'],
  fileName: 'main.c',
  compile: ['gcc', '-O2', '-std=gnu17', '-o', 'main', 'main.c', '-lm'],
  compileLimits: { timeoutMs: 15_000, memoryMb: 512 },
  run: ['./main'],
  version: ['gcc', '--version'],
};
