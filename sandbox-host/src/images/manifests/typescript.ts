import type { RuntimeManifest } from '../manifest.ts';

/**
 * Debian ships TypeScript 4.9 (node-typescript) but no @types/node, so a full type check would reject
 * every program that touches `process`. We transpile (syntax errors still fail the compile) and run
 * the JavaScript with Node, like ts-node's transpile-only mode.
 */
export const typescript: RuntimeManifest = {
  language: 'typescript',
  displayName: 'TypeScript',
  suite: 'trixie',
  packages: ['nodejs', 'node-typescript'],
  fileName: 'main.ts',
  compile: ['node', '/opt/airlock/ts-transpile.cjs', 'main.ts', 'main.js'],
  compileLimits: { timeoutMs: 15_000, memoryMb: 256 },
  run: ['node', 'main.js'],
  version: ['node', '-e', 'console.log("TypeScript " + require("typescript").version)'],
  files: ['ts-transpile.cjs'],
};
