import type { RuntimeManifest } from '../manifest.ts';

export const javascript: RuntimeManifest = {
  language: 'javascript',
  displayName: 'JavaScript (Node.js)',
  suite: 'trixie',
  packages: ['nodejs'],
  fileName: 'main.js',
  run: ['node', 'main.js'],
  version: ['node', '--version'],
};
