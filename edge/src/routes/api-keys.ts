import { Hono } from 'hono';
import { z } from 'zod';
import { database } from '../db/client.ts';
import { API_KEY_SCOPES, generateApiKey } from '../domain/api-keys/token.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { auditRequest } from '../lib/audit-request.ts';
import { jsonBody } from '../lib/validate.ts';
import { days, FIXED } from '../limits.ts';
import { apiLimit } from '../middleware/api-limit.ts';
import { authenticate, recentAuth, userOnly } from '../middleware/authenticate.ts';
import { orgContext, requestScope } from '../middleware/org-context.ts';
import {
  type ApiKeyView,
  countActiveApiKeys,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
} from '../repositories/api-keys.ts';

/**
 * /v1/api-keys: the caller's API keys in the request's organization (`X-Org-Id`, default personal).
 * A user session only: an API key can never mint, list or revoke keys. The secret is in the
 * creation response and nowhere else; D1 holds its SHA-256.
 */

const EXPIRY_PROBLEM = `must be in the future and within ${days(FIXED.apiKeyMaxLifetimeMs)} days`;

export const newKey = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(z.enum(API_KEY_SCOPES))
    .min(1)
    .max(API_KEY_SCOPES.length)
    .refine((s) => new Set(s).size === s.length, 'must not repeat a scope'),
  /** ISO 8601 with an offset, e.g. `2027-01-01T00:00:00Z`; absent = does not expire. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const keyJson = (k: ApiKeyView) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  createdAt: iso(k.createdAt),
  expiresAt: iso(k.expiresAt),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
});

export const apiKeyRoutes = new Hono<AppEnv>()
  .use('/v1/api-keys/*', authenticate(), apiLimit, userOnly(), orgContext())
  .get('/v1/api-keys', async (c) => {
    const scope = requestScope(c);
    return c.json({ keys: (await listApiKeys(database(c.env.DB), scope)).map(keyJson) });
  })
  .post('/v1/api-keys', recentAuth(), jsonBody(newKey), async (c) => {
    const db = database(c.env.DB);
    const now = c.get('now')();
    const body = c.req.valid('json');
    const expiresAt = body.expiresAt === undefined ? null : Date.parse(body.expiresAt);
    if (expiresAt !== null && (expiresAt <= now || expiresAt > now + FIXED.apiKeyMaxLifetimeMs)) {
      throw new ApiError('validation_failed', {
        message: `Invalid request: expiresAt (${EXPIRY_PROBLEM})`,
        details: { fields: [{ field: 'expiresAt', problem: EXPIRY_PROBLEM }] },
      });
    }
    const scope = requestScope(c);
    if ((await countActiveApiKeys(db, scope, now)) >= FIXED.maxActiveApiKeysPerUser)
      throw new ApiError('api_key_limit');

    const generated = await generateApiKey();
    const key = await insertApiKey(
      db,
      scope,
      {
        name: body.name,
        prefix: generated.prefix,
        secretHash: generated.secretHash,
        scopes: body.scopes,
        expiresAt,
      },
      now,
    );
    await auditRequest(
      c,
      db,
      {
        action: 'api_key.created',
        targetType: 'api_key',
        targetId: key.id,
        metadata: { prefix: key.prefix, scopes: key.scopes, expiresAt: key.expiresAt },
      },
      now,
    );
    c.header('Cache-Control', 'no-store');
    return c.json({ ...keyJson(key), key: generated.token }, 201);
  })
  .delete('/v1/api-keys/:id', async (c) => {
    const db = database(c.env.DB);
    const now = c.get('now')();
    const scope = { ...requestScope(c), id: c.req.param('id') };
    const outcome = await revokeApiKey(db, scope, now);
    if (outcome === 'not_found') throw new ApiError('not_found', { message: 'API key not found.' });
    if (outcome === 'revoked') {
      await auditRequest(
        c,
        db,
        { action: 'api_key.revoked', targetType: 'api_key', targetId: scope.id },
        now,
      );
    }
    return c.body(null, 204);
  });
