import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// The edge runs this package on Cloudflare Workers: its sources may import zod and each other only.
it('src imports nothing but zod and its own files', () => {
  const dir = join(import.meta.dirname, '../src');
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    const specifiers = [...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'/g)].map(
      (m) => m[1] ?? m[2],
    );
    for (const specifier of specifiers)
      expect(specifier, `${file}: ${specifier}`).toMatch(/^(zod|\.\/[a-z0-9-]+\.ts)$/);
  }
});
