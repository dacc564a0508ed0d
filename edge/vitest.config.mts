import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { generateDevSecrets } from '../scripts/dev-secrets.ts';

// Edge tests run inside workerd against real local D1 and Durable Objects, with the Worker
// configured from the real wrangler.toml and the real migrations applied before each file.
export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: fileURLToPath(new URL('../wrangler.toml', import.meta.url)) },
      miniflare: {
        bindings: {
          // Fresh secrets for every test run: nothing secret is committed.
          ...(await generateDevSecrets()).worker,
          // Run tests (issue 5): the sandbox host started by the global setup and the key it trusts.
          ...inject('runsHarness').bindings,
          // Task tests (issue 13): the local provider servers and the models the tests use.
          ...inject('tasksHarness').bindings,
          // OAuth tests (issue 14): the local Google (OpenID Connect) and GitHub servers.
          ...inject('oauthHarness').bindings,
          TASK_MODELS_OPENAI: '*',
          TASK_MODELS_ANTHROPIC: 'claude-local-1',
          TASK_MODELS_GOOGLE: 'gemini-local-1',
          TASK_MODELS_OPENROUTER: 'vendor/model-local-1',
          TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL('../migrations', import.meta.url))),
        },
      },
    })),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/setup/apply-migrations.ts'],
    globalSetup: [
      './test/runs/harness/global-setup.ts',
      './test/tasks/harness/global-setup.ts',
      './test/oauth/harness/global-setup.ts',
    ],
    silent: 'passed-only',
  },
});
