import { defineConfig } from 'vitest/config';

// Repository-level checks run on Node: the Worker builds for deploy, the set-up scripts hold.
export default defineConfig({
  test: { include: ['**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
