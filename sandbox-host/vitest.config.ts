import { configDefaults, defineConfig } from 'vitest/config';

// Tests drive a real Docker engine on a 2-core machine: files run one after another, tests within a
// file run in order unless marked concurrent; every test uses its own host id so hosts never collide.
// test/userns.test.ts needs the user-namespace engine (scripts/docker-userns.sh): only the host-userns
// suite runs it, with DOCKER_SOCKET naming that engine; against the main engine it would fail.
// test/runsc-userns.test.ts checks gVisor's own user namespace: only the host-runsc suite runs it.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [
      ...configDefaults.exclude,
      ...(process.env.DOCKER_SOCKET ? [] : ['test/userns.test.ts']),
      ...(process.env.SANDBOX_RUNTIME === 'runsc' ? [] : ['test/runsc-userns.test.ts']),
    ],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
