import type { RuntimeManifest } from '../manifest.ts';

export const bash: RuntimeManifest = {
  language: 'bash',
  displayName: 'Bash',
  suite: 'trixie',
  packages: ['bash'],
  fileName: 'main.sh',
  run: ['bash', 'main.sh'],
  version: ['bash', '-c', 'echo "bash $BASH_VERSION"'],
};
