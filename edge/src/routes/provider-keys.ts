import { Hono } from 'hono';
import { z } from 'zod';
import { database } from '../db/client.ts';
import {
  PROVIDERS,
  type Provider,
  providerKeyHint,
  sealProviderKey,
} from '../domain/crypto/provider-key-cipher.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { auditRequest } from '../lib/audit-request.ts';
import { jsonBody } from '../lib/validate.ts';
import { apiLimit } from '../middleware/api-limit.ts';
import { authenticate, userOnly } from '../middleware/authenticate.ts';
import {
  deleteProviderKey,
  listProviderKeys,
  type ProviderKeyView,
  putProviderKey,
} from '../repositories/provider-keys.ts';

/**
 * /v1/provider-keys: the caller's own LLM provider keys (BYOK). Per user, whatever organization they
 * act in; a user session only (API keys never manage keys). The key is encrypted before it touches
 * D1 (domain/crypto/provider-key-cipher.ts); responses and audit entries carry the masked hint at
 * most, and the request body is never logged.
 */

export const keyBody = z.strictObject({
  // Printable ASCII without spaces: every provider's key format fits, and nothing can smuggle a newline.
  key: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(512, 'must be at most 512 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
});

function providerParam(value: string | undefined): Provider {
  const provider = PROVIDERS.find((p) => p === value);
  if (!provider) throw new ApiError('not_found', { message: 'Unknown provider.' });
  return provider;
}

const iso = (ms: number) => new Date(ms).toISOString();
const keyJson = (k: ProviderKeyView) => ({
  provider: k.provider,
  hint: k.hint,
  createdAt: iso(k.createdAt),
  updatedAt: iso(k.updatedAt),
});

export const providerKeyRoutes = new Hono<AppEnv>()
  .use('/v1/provider-keys/*', authenticate(), apiLimit, userOnly())
  .get('/v1/provider-keys', async (c) => {
    const keys = await listProviderKeys(database(c.env.DB), { userId: c.get('principal').userId });
    c.header('Cache-Control', 'no-store');
    return c.json({ providers: PROVIDERS, keys: keys.map(keyJson) });
  })
  .put('/v1/provider-keys/:provider', jsonBody(keyBody), async (c) => {
    const provider = providerParam(c.req.param('provider'));
    const owner = { userId: c.get('principal').userId, provider };
    const db = database(c.env.DB);
    const now = c.get('now')();
    const plaintext = c.req.valid('json').key;
    const sealed = await sealProviderKey(c.get('config').providerKeyKeyring, owner, plaintext);
    const { key, replaced } = await putProviderKey(db, owner, sealed, providerKeyHint(plaintext), now);
    await auditRequest(
      c,
      db,
      {
        action: replaced ? 'provider_key.rotated' : 'provider_key.created',
        orgId: null,
        targetType: 'provider_key',
        targetId: provider,
        metadata: { keyVersion: sealed.keyVersion },
      },
      now,
    );
    c.header('Cache-Control', 'no-store');
    return c.json(keyJson(key), replaced ? 200 : 201);
  })
  .delete('/v1/provider-keys/:provider', async (c) => {
    const provider = providerParam(c.req.param('provider'));
    const db = database(c.env.DB);
    const now = c.get('now')();
    if (!(await deleteProviderKey(db, { userId: c.get('principal').userId, provider }))) {
      throw new ApiError('not_found', { message: 'No key is stored for this provider.' });
    }
    await auditRequest(
      c,
      db,
      { action: 'provider_key.deleted', orgId: null, targetType: 'provider_key', targetId: provider },
      now,
    );
    return c.body(null, 204);
  });
