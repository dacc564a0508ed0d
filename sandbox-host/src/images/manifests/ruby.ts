import type { RuntimeManifest } from '../manifest.ts';

export const ruby: RuntimeManifest = {
  language: 'ruby',
  displayName: 'Ruby',
  suite: 'trixie',
  packages: ['ruby'],
  fileName: 'main.rb',
  run: ['ruby', 'main.rb'],
  version: ['ruby', '--version'],
};
