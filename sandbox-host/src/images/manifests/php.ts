import type { RuntimeManifest } from '../manifest.ts';

export const php: RuntimeManifest = {
  language: 'php',
  displayName: 'PHP',
  suite: 'trixie',
  packages: ['php-cli'],
  fileName: 'main.php',
  run: ['php', 'main.php'],
  version: ['php', '--version'],
};
