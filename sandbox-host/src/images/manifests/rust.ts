import type { RuntimeManifest } from '../manifest.ts';

export const rust: RuntimeManifest = {
  language: 'rust',
  displayName: 'Rust',
  suite: 'trixie',
  packages: ['rustc', 'gcc', 'libc6-dev'],
  fileName: 'main.rs',
  compile: ['rustc', '--edition', '2021', '-C', 'opt-level=1', '-o', 'main', 'main.rs'],
  compileLimits: { timeoutMs: 15_000, memoryMb: 512 },
  run: ['./main'],
  version: ['rustc', '--version'],
};
