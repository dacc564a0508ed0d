import { defineConfig } from 'vitest/config';

// Black-box suite: a real `wrangler dev` and a real sandbox host on loopback, driven over HTTP and a
// `ws` WebSocket exactly like a client. One process tree for the whole suite (global setup).
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['./global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
