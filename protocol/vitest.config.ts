import { defineConfig } from 'vitest/config';

// Pure tests of the wire protocol: no engine, no network, so they run on Node in one pass.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'] },
});
