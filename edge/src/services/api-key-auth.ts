import type { Database } from '../db/client.ts';
import { hashApiKeySecret, parseApiKey } from '../domain/api-keys/token.ts';
import { decideApiKey, LAST_USED_WRITE_INTERVAL_MS } from '../domain/api-keys/verify.ts';
import type { Principal } from '../domain/principal.ts';
import { findApiKeyForAuthentication, touchApiKey } from '../repositories/api-keys.ts';

export type ApiKeyAuthentication =
  | { ok: true; principal: Extract<Principal, { kind: 'api_key' }> }
  | { ok: false; reason: 'malformed' | 'unknown' | 'mismatch' | 'revoked' | 'expired' };

/**
 * Resolves `ak_<prefix>_<secret>` to its principal: one indexed lookup by the public prefix, then a
 * constant-time comparison of SHA-256 digests, then revocation and expiry (checked on every request,
 * so revoking takes effect at once). Membership in the key's organization is checked afterwards by
 * the org-context middleware, like for any principal.
 */
export async function authenticateApiKey(
  db: Database,
  token: string,
  now: number,
): Promise<ApiKeyAuthentication> {
  const parsed = parseApiKey(token);
  // Hash even a malformed token, so the answer takes about as long either way.
  const presentedHash = await hashApiKeySecret(parsed?.secret ?? token);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const stored = await findApiKeyForAuthentication(db, parsed.prefix);
  const decision = decideApiKey(stored, presentedHash, now);
  if (!decision.ok || !stored) return { ok: false, reason: decision.ok ? 'unknown' : decision.reason };
  return {
    ok: true,
    principal: {
      kind: 'api_key',
      userId: stored.userId,
      orgId: stored.orgId,
      apiKeyId: stored.id,
      scopes: stored.scopes,
    },
  };
}

/** Records the key's use (throttled in the UPDATE itself); meant for `waitUntil`, off the response path. */
export function recordApiKeyUse(db: Database, apiKeyId: string, now: number): Promise<void> {
  return touchApiKey(db, apiKeyId, now, LAST_USED_WRITE_INTERVAL_MS);
}
