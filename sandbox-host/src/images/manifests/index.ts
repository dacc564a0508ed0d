import type { RuntimeManifest } from '../manifest.ts';
import { bash } from './bash.ts';
import { c } from './c.ts';
import { cpp } from './cpp.ts';
import { go } from './go.ts';
import { java } from './java.ts';
import { javascript } from './javascript.ts';
import { lua } from './lua.ts';
import { php } from './php.ts';
import { python } from './python.ts';
import { ruby } from './ruby.ts';
import { rust } from './rust.ts';
import { typescript } from './typescript.ts';

export const manifests: readonly RuntimeManifest[] = [
  python,
  javascript,
  typescript,
  bash,
  c,
  cpp,
  go,
  rust,
  java,
  ruby,
  php,
  lua,
];
