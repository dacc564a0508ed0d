import { defineConfig } from 'vitest/config';

// Tests drive a real Docker engine on a 2-core machine: files run one after another, tests within a
// file run in order unless marked concurrent; every test uses its own host id so hosts never collide.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
