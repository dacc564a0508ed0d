import type { RuntimeManifest } from '../manifest.ts';

export const cpp: RuntimeManifest = {
  language: 'cpp',
  displayName: 'C++ (G++)',
  suite: 'trixie',
  packages: ['g++', 'libc6-dev'],
  fileName: 'main.cpp',
  compile: ['g++', '-O2', '-std=gnu++20', '-o', 'main', 'main.cpp'],
  compileLimits: { timeoutMs: 15_000, memoryMb: 512 },
  run: ['./main'],
  version: ['g++', '--version'],
};
