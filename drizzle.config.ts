import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the schema (`npm run db:generate`) and applied by wrangler
// (`wrangler d1 migrations apply`), locally by `npm start` / `npm test` and `--remote` on deploy.
export default defineConfig({
  dialect: 'sqlite',
  schema: './edge/src/db/schema.ts',
  out: './migrations',
});
