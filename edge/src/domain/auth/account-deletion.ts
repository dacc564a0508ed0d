import type { OrgRole } from '../principal.ts';

/**
 * What deleting a user does to their organizations (pure). An organization with nobody else in it
 * is deleted. One where the user is the only owner goes to the next owner: the longest-standing
 * admin, else the longest-standing member, so the organization is never left without an owner.
 */

export interface Member {
  orgId: string;
  userId: string;
  role: OrgRole;
  createdAt: number;
}

export interface DeletionPlan {
  deleteOrgs: string[];
  promote: { orgId: string; userId: string }[];
}

const byTenure = (a: Member, b: Member) => a.createdAt - b.createdAt || a.userId.localeCompare(b.userId);

export function planAccountDeletion(userId: string, members: readonly Member[]): DeletionPlan {
  const plan: DeletionPlan = { deleteOrgs: [], promote: [] };
  const orgIds = [...new Set(members.filter((m) => m.userId === userId).map((m) => m.orgId))].sort();
  for (const orgId of orgIds) {
    const inOrg = members.filter((m) => m.orgId === orgId);
    const me = inOrg.find((m) => m.userId === userId);
    const others = inOrg.filter((m) => m.userId !== userId).sort(byTenure);
    if (others.length === 0) {
      plan.deleteOrgs.push(orgId);
      continue;
    }
    if (me?.role !== 'owner' || others.some((m) => m.role === 'owner')) continue;
    const heir = others.find((m) => m.role === 'admin') ?? others[0];
    if (heir) plan.promote.push({ orgId, userId: heir.userId });
  }
  return plan;
}
