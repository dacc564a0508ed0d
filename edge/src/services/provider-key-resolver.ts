import type { Database } from '../db/client.ts';
import type { Keyring } from '../domain/crypto/keyring.ts';
import { openProviderKey, type Provider, sealProviderKey } from '../domain/crypto/provider-key-cipher.ts';
import { findSealedProviderKey, replaceSealedIfUnchanged } from '../repositories/provider-keys.ts';

type ResolvedProviderKey =
  | { ok: true; key: string; rotated: boolean }
  | { ok: false; reason: 'not_configured' | 'undecryptable' };

/**
 * The one way to get a user's provider key in the clear, for the code that calls the provider (AI
 * tasks) and nothing else. Always for the authenticated principal's own user id: the AAD binds the
 * row to it, so a row copied to another user does not decrypt. A row still under an older KEK is
 * re-encrypted under the current one on the way (lazy rotation; a concurrent PUT wins).
 *
 * Never log, return or store the result; use it and drop it.
 */
export async function resolveProviderKey(
  db: Database,
  keyring: Keyring,
  owner: { userId: string; provider: Provider },
  now: number,
): Promise<ResolvedProviderKey> {
  const sealed = await findSealedProviderKey(db, owner);
  if (!sealed) return { ok: false, reason: 'not_configured' };
  const opened = await openProviderKey(keyring, owner, sealed);
  if (!opened.ok) return { ok: false, reason: 'undecryptable' };
  if (sealed.keyVersion === keyring.current) return { ok: true, key: opened.plaintext, rotated: false };
  const resealed = await sealProviderKey(keyring, owner, opened.plaintext);
  const rotated = await replaceSealedIfUnchanged(db, owner, sealed, resealed, now);
  return { ok: true, key: opened.plaintext, rotated };
}
