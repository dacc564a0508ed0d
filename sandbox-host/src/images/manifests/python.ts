import type { RuntimeManifest } from '../manifest.ts';

export const python: RuntimeManifest = {
  language: 'python',
  displayName: 'Python 3',
  suite: 'trixie',
  packages: ['python3'],
  fileName: 'main.py',
  run: ['python3', '-u', 'main.py'],
  preload: ['python3', '-u', '/opt/airlock/python-preload.py'],
  files: ['python-preload.py'],
  version: ['python3', '--version'],
  env: { PYTHONDONTWRITEBYTECODE: '1' },
};
