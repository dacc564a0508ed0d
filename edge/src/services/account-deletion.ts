import type { Database } from '../db/client.ts';
import { type DeletionPlan, planAccountDeletion } from '../domain/auth/account-deletion.ts';
import { objectKey } from '../domain/files/name.ts';
import { filesGoingWith } from '../repositories/files.ts';
import { deleteOrg, membershipsAlongside, promoteHeirUnlessOwned } from '../repositories/orgs.ts';
import { deleteMessagesTo } from '../repositories/outbox.ts';
import { deleteUser } from '../repositories/users.ts';

const R2_DELETE_BATCH = 1000;

/**
 * Deletes an account and what only it owns (rules: domain/auth/account-deletion.ts). Used by
 * `DELETE /v1/me` and when a provider-verified sign-in takes an address from an account that never
 * confirmed it (docs/auth.md); the files' objects in R2 go too. The caller writes the audit rows
 * from the returned plan.
 */
export async function deleteAccount(
  db: Database,
  bucket: R2Bucket,
  user: { id: string; email: string },
): Promise<DeletionPlan> {
  const members = await membershipsAlongside(db, user.id);
  const plan = planAccountDeletion(user.id, members);
  // Every shared organization the user owns gets a conditional hand-over, not only those the plan
  // (read before the batch) saw as solely owned: another owner may be leaving at the same time.
  const owned = members.filter((m) => m.userId === user.id && m.role === 'owner').map((m) => m.orgId);
  const handOver = owned.filter((orgId) => !plan.deleteOrgs.includes(orgId));
  const stored = await filesGoingWith(db, user.id, plan.deleteOrgs);
  // One batch (one transaction in D1): the account never half disappears.
  await db.batch([
    deleteMessagesTo(db, user.email),
    ...handOver.map((orgId) => promoteHeirUnlessOwned(db, orgId, user.id)),
    ...plan.deleteOrgs.map((orgId) => deleteOrg(db, orgId)),
    deleteUser(db, user.id),
  ]);
  // The uploaded bytes go too, after their rows: an object without a row is unreachable, while a row
  // without its object would fail a download. R2 deletes up to 1,000 keys a call.
  const keys = stored.map((f) => objectKey(f.orgId, f.id));
  for (let i = 0; i < keys.length; i += R2_DELETE_BATCH)
    await bucket.delete(keys.slice(i, i + R2_DELETE_BATCH));
  return plan;
}
