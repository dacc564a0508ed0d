import { applyD1Migrations, env } from 'cloudflare:test';

// Runs before each test file: the real migrations from migrations/, applied to the local D1.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
