import { and, count, desc, eq, gt, isNull, lt, or } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { apiKeys } from '../db/schema.ts';
import type { Scope } from './scope.ts';

/**
 * API keys belong to one user in one organization; listing and revocation are scoped by both. The
 * one unscoped read is `findApiKeyForAuthentication`: it is how a request *becomes* scoped (the row
 * names the org and user), and it is keyed by the public prefix, the secret checked against the hash.
 */

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const view = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  createdAt: apiKeys.createdAt,
  expiresAt: apiKeys.expiresAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

const inScope = (scope: Scope) => and(eq(apiKeys.orgId, scope.orgId), eq(apiKeys.userId, scope.userId));

export async function insertApiKey(
  db: Database,
  scope: Scope,
  key: { name: string; prefix: string; secretHash: string; scopes: string[]; expiresAt: number | null },
  now: number,
): Promise<ApiKeyView> {
  const [row] = await db
    .insert(apiKeys)
    .values({ id: crypto.randomUUID(), ...scope, ...key, createdAt: now })
    .returning(view);
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** Keys that still work (not revoked, not expired): bounded per user and organization. */
export async function countActiveApiKeys(db: Database, scope: Scope, now: number): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(
      and(
        inScope(scope),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
      ),
    )
    .get();
  return row?.n ?? 0;
}

export async function listApiKeys(db: Database, scope: Scope): Promise<ApiKeyView[]> {
  return db.select(view).from(apiKeys).where(inScope(scope)).orderBy(desc(apiKeys.createdAt)).all();
}

/** Revokes at once. `not_found` for an id outside the scope, exactly as for an id that does not exist. */
export async function revokeApiKey(
  db: Database,
  scope: Scope & { id: string },
  now: number,
): Promise<'revoked' | 'already_revoked' | 'not_found'> {
  const where = and(inScope(scope), eq(apiKeys.id, scope.id));
  const updated = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(where, isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  if (updated.length > 0) return 'revoked';
  const existing = await db.select({ id: apiKeys.id }).from(apiKeys).where(where).get();
  return existing ? 'already_revoked' : 'not_found';
}

/** When a member leaves or is removed, their keys for that organization stop for good. */
export async function revokeApiKeysOfMember(db: Database, scope: Scope, now: number): Promise<number> {
  const updated = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(inScope(scope), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return updated.length;
}

interface ApiKeyCredential {
  id: string;
  orgId: string;
  userId: string;
  secretHash: string;
  scopes: string[];
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export async function findApiKeyForAuthentication(
  db: Database,
  prefix: string,
): Promise<ApiKeyCredential | null> {
  const row = await db
    .select({
      id: apiKeys.id,
      orgId: apiKeys.orgId,
      userId: apiKeys.userId,
      secretHash: apiKeys.secretHash,
      scopes: apiKeys.scopes,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.prefix, prefix))
    .get();
  return row ?? null;
}

/** Records use, at most once per `minIntervalMs` (the condition is in the UPDATE, so it is race-free). */
export async function touchApiKey(
  db: Database,
  id: string,
  now: number,
  minIntervalMs: number,
): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(
      and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, now - minIntervalMs))),
    );
}

/** Account recovery: every key of the user, in every organization (for a batch). */
export function revokeAllApiKeysOfUser(db: Database, userId: string, now: number) {
  return db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)));
}
