import type { RuntimeManifest } from '../manifest.ts';

export const lua: RuntimeManifest = {
  language: 'lua',
  displayName: 'Lua',
  suite: 'trixie',
  packages: ['lua5.4'],
  fileName: 'main.lua',
  run: ['lua5.4', 'main.lua'],
  version: ['lua5.4', '-v'],
};
