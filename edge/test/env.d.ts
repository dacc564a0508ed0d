import type { D1Migration } from 'cloudflare:test';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      JWT_SIGNING_KEY: string;
      PROVIDER_KEY_KEKS: string;
      PROVIDER_KEY_KEK_CURRENT: string;
      SANDBOX_SIGNING_JWK: string;
    }
  }
}
