import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { providerKeys } from '../db/schema.ts';
import type { Provider, SealedProviderKey } from '../domain/crypto/provider-key-cipher.ts';

/**
 * Provider keys (BYOK) belong to one user, whatever organization they act in: every query is
 * scoped by user id. Listing never selects the ciphertext; only `findSealedProviderKey` does, for
 * the one decryption path (services/provider-key-resolver.ts).
 */

export interface ProviderKeyView {
  provider: Provider;
  hint: string;
  keyVersion: number;
  createdAt: number;
  updatedAt: number;
}

const view = {
  provider: providerKeys.provider,
  hint: providerKeys.hint,
  keyVersion: providerKeys.keyVersion,
  createdAt: providerKeys.createdAt,
  updatedAt: providerKeys.updatedAt,
};

type Owner = { userId: string; provider: Provider };
const byOwner = (owner: Owner) =>
  and(eq(providerKeys.userId, owner.userId), eq(providerKeys.provider, owner.provider));

export async function listProviderKeys(db: Database, scope: { userId: string }): Promise<ProviderKeyView[]> {
  return db
    .select(view)
    .from(providerKeys)
    .where(eq(providerKeys.userId, scope.userId))
    .orderBy(asc(providerKeys.provider))
    .all();
}

/** Creates or replaces the user's key for a provider; `replaced` tells the audit which it was. */
export async function putProviderKey(
  db: Database,
  owner: Owner,
  sealed: SealedProviderKey,
  hint: string,
  now: number,
): Promise<{ key: ProviderKeyView; replaced: boolean }> {
  const existed = await db
    .select({ at: providerKeys.createdAt })
    .from(providerKeys)
    .where(byOwner(owner))
    .get();
  const [key] = await db
    .insert(providerKeys)
    .values({ ...owner, ...sealed, hint, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [providerKeys.userId, providerKeys.provider],
      // Server-side allowlist of what a replacement may change.
      set: {
        ciphertext: sealed.ciphertext,
        iv: sealed.iv,
        keyVersion: sealed.keyVersion,
        hint,
        updatedAt: now,
      },
    })
    .returning(view);
  if (!key) throw new Error('upsert returned no row');
  return { key, replaced: existed !== undefined };
}

export async function deleteProviderKey(db: Database, owner: Owner): Promise<boolean> {
  const deleted = await db.delete(providerKeys).where(byOwner(owner)).returning({ p: providerKeys.provider });
  return deleted.length > 0;
}

/** The stored ciphertext, for decryption only. Never return this to a client. */
export async function findSealedProviderKey(db: Database, owner: Owner): Promise<SealedProviderKey | null> {
  const row = await db
    .select({ ciphertext: providerKeys.ciphertext, iv: providerKeys.iv, keyVersion: providerKeys.keyVersion })
    .from(providerKeys)
    .where(byOwner(owner))
    .get();
  return row ?? null;
}

/**
 * Lazy rotation: replaces a ciphertext with one under the current KEK, only if the row still holds
 * the ciphertext that was read (a concurrent PUT wins).
 */
export async function replaceSealedIfUnchanged(
  db: Database,
  owner: Owner,
  previous: SealedProviderKey,
  next: SealedProviderKey,
  now: number,
): Promise<boolean> {
  const updated = await db
    .update(providerKeys)
    .set({ ciphertext: next.ciphertext, iv: next.iv, keyVersion: next.keyVersion, updatedAt: now })
    .where(
      and(byOwner(owner), eq(providerKeys.iv, previous.iv), eq(providerKeys.keyVersion, previous.keyVersion)),
    )
    .returning({ p: providerKeys.provider });
  return updated.length > 0;
}
