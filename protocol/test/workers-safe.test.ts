import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// The edge runs this package on Cloudflare Workers: its sources may import zod, fflate (pure
// JavaScript over typed arrays, for the archive reader) and each other only.
it('src imports nothing but zod, fflate and its own files', () => {
  const dir = join(import.meta.dirname, '../src');
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  expect(files.length).toBeGreaterThan(10);
  for (const file of files) {
    const text = readFileSync(join(file.parentPath, file.name), 'utf8');
    const specifiers = [...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'/g)].map(
      (m) => m[1] ?? m[2],
    );
    for (const specifier of specifiers)
      expect(specifier, `${file.name}: ${specifier}`).toMatch(
        /^(zod|fflate|\.\/[a-z0-9-]+(\/[a-z0-9-]+)?\.ts)$/,
      );
  }
});
