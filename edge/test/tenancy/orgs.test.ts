import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../helpers.ts';
import { addMember, as, createOrg, json, mintApiKey, tenant } from './fixtures.ts';

type Member = { userId: string; email: string; role: string };
const members = async (token: string, orgId: string) =>
  (await json<{ members: Member[] }>(await as(token, `/v1/orgs/${orgId}/members`), 200)).members;

describe('organizations', () => {
  it('every user has a personal organization they own', async () => {
    const a = await tenant();
    const res = await json<{ orgs: { id: string; personal: boolean; role: string }[] }>(
      await as(a.token, '/v1/orgs'),
      200,
    );
    expect(res.orgs).toEqual([
      expect.objectContaining({ id: a.personalOrgId, personal: true, role: 'owner' }),
    ]);
  });

  it('creates a team, invites existing users as admin or member, and lists members', async () => {
    const owner = await tenant();
    const admin = await tenant();
    const member = await tenant();
    const orgId = await createOrg(owner, 'Acme');
    await addMember(owner, orgId, admin, 'admin');
    // An admin may add plain members, not other admins.
    const adminAddsAdmin = await as(admin.token, `/v1/orgs/${orgId}/members`, {
      body: { email: member.user.user.email, role: 'admin' },
    });
    expect(adminAddsAdmin.status).toBe(403);
    // Emails are normalized: the invitation is for the account whatever the case it was typed in.
    const invited = await json<{ invitation: { id: string } }>(
      await as(admin.token, `/v1/orgs/${orgId}/members`, {
        body: { email: member.user.user.email.toUpperCase() },
      }),
      202,
    );
    // Not a member until accepted.
    expect((await as(member.token, `/v1/orgs/${orgId}/members`)).status).toBe(404);
    await json(
      await as(member.token, `/v1/invitations/${invited.invitation.id}/accept`, { method: 'POST' }),
      200,
    );
    const list = await members(member.token, orgId);
    expect(list.map((m) => [m.userId, m.role])).toEqual([
      [owner.user.user.id, 'owner'],
      [admin.user.user.id, 'admin'],
      [member.user.user.id, 'member'],
    ]);
    // Twice is a conflict; an unknown email gets the same 202 as a known one; a member cannot invite.
    expect(
      (await as(owner.token, `/v1/orgs/${orgId}/members`, { body: { email: member.user.user.email } }))
        .status,
    ).toBe(409);
    expect(
      (await as(owner.token, `/v1/orgs/${orgId}/members`, { body: { email: 'nobody@example.test' } })).status,
    ).toBe(202);
    const third = await tenant();
    expect(
      (await as(member.token, `/v1/orgs/${orgId}/members`, { body: { email: third.user.user.email } }))
        .status,
    ).toBe(403);
    // The new org is listed for its members with their role.
    const orgs = await json<{ orgs: { id: string; role: string }[] }>(
      await as(member.token, '/v1/orgs'),
      200,
    );
    expect(orgs.orgs).toContainEqual(expect.objectContaining({ id: orgId, role: 'member' }));
    // Membership changes are audited.
    const audit = await env.DB.prepare(
      "SELECT action, actor_user_id, target_id FROM audit_log WHERE org_id = ? AND action LIKE 'org.%' ORDER BY at",
    )
      .bind(orgId)
      .all();
    expect(audit.results.filter((r) => (r as { action: string }).action !== 'org.member_invited')).toEqual([
      { action: 'org.created', actor_user_id: owner.user.user.id, target_id: orgId },
      { action: 'org.member_added', actor_user_id: admin.user.user.id, target_id: admin.user.user.id },
      { action: 'org.member_added', actor_user_id: member.user.user.id, target_id: member.user.user.id },
    ]);
  });

  it('removes members (by role), lets members leave, and keeps a last owner', async () => {
    const owner = await tenant();
    const admin = await tenant();
    const member = await tenant();
    const orgId = await createOrg(owner);
    for (const [t, role] of [
      [admin, 'admin'],
      [member, 'member'],
    ] as const) {
      await addMember(owner, orgId, t, role);
    }
    // A member cannot remove anyone; an admin cannot remove the owner.
    const memberRemovesAdmin = await as(member.token, `/v1/orgs/${orgId}/members`, {
      method: 'DELETE',
      body: { userId: admin.user.user.id },
    });
    expect(memberRemovesAdmin.status).toBe(403);
    expect(
      (await as(admin.token, `/v1/orgs/${orgId}/members/${owner.user.user.id}`, { method: 'DELETE' })).status,
    ).toBe(403);
    // The member's API key for this org dies with the membership.
    const key = await mintApiKey(member, { orgId });
    expect((await as(key.key, '/v1/orgs')).status).toBe(200);
    expect(
      (
        await as(admin.token, `/v1/orgs/${orgId}/members`, {
          method: 'DELETE',
          body: { email: member.user.user.email },
        })
      ).status,
    ).toBe(204);
    expect((await as(member.token, `/v1/orgs/${orgId}/members`)).status).toBe(404);
    expect((await as(key.key, '/v1/orgs')).status).toBe(401);
    // The last owner cannot leave; an admin can.
    expect(
      (await as(owner.token, `/v1/orgs/${orgId}/members/${owner.user.user.id}`, { method: 'DELETE' })).status,
    ).toBe(409);
    expect(
      (await as(admin.token, `/v1/orgs/${orgId}/members/${admin.user.user.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await members(owner.token, orgId)).map((m) => m.userId)).toEqual([owner.user.user.id]);
    // Nobody leaves a personal organization.
    const res = await as(owner.token, `/v1/orgs/${owner.personalOrgId}/members/${owner.user.user.id}`, {
      method: 'DELETE',
    });
    expect((await errorOf(res)).code).toBe('personal_org');
  });

  it('acts in the X-Org-Id organization only for members; otherwise 404', async () => {
    const a = await tenant();
    const b = await tenant();
    const team = await createOrg(a);
    expect((await as({ token: a.token, orgId: team }, '/v1/api-keys')).status).toBe(200);
    for (const orgId of [team, a.personalOrgId, 'does-not-exist', "x' OR 1=1 --"]) {
      const res = await as({ token: b.token, orgId }, '/v1/api-keys');
      expect(res.status).toBe(404);
      expect((await errorOf(res)).code).toBe('not_found');
    }
  });

  it('validates input strictly', async () => {
    const a = await tenant();
    expect((await as(a.token, '/v1/orgs', { body: { name: '' } })).status).toBe(400);
    expect((await as(a.token, '/v1/orgs', { body: { name: 'x', personal: true } })).status).toBe(400);
    expect(
      (
        await as(a.token, `/v1/orgs/${a.personalOrgId}/members`, {
          body: { email: 'x@example.test', role: 'owner' },
        })
      ).status,
    ).toBe(400);
  });
});

describe('invitations, the audit log and the organization cap (issue 12)', () => {
  it('an accepted invitation makes a member; an ignored one never does, and expires', async () => {
    const owner = await tenant();
    const joiner = await tenant();
    const ignorer = await tenant();
    const orgId = await createOrg(owner, 'Invites');
    await addMember(owner, orgId, joiner);
    await json(
      await as(owner.token, `/v1/orgs/${orgId}/members`, { body: { email: ignorer.user.user.email } }),
      202,
    );
    const pending = await json<{ invitations: { id: string; orgId: string }[] }>(
      await as(ignorer.token, '/v1/invitations'),
      200,
    );
    expect(pending.invitations.map((i) => i.orgId)).toEqual([orgId]);
    const ids = (await members(owner.token, orgId)).map((m) => m.userId);
    expect(ids).toContain(joiner.user.user.id);
    expect(ids).not.toContain(ignorer.user.user.id);
    expect((await as(ignorer.token, `/v1/orgs/${orgId}/members`)).status).toBe(404);
    // Someone else cannot accept it for them.
    const stolen = await as(joiner.token, `/v1/invitations/${pending.invitations[0]?.id}/accept`, {
      method: 'POST',
    });
    expect(stolen.status).toBe(404);
    // Once expired it is gone from the list and cannot be accepted.
    await env.DB.prepare('UPDATE invitations SET expires_at = ? WHERE org_id = ? AND email = ?')
      .bind(Date.now() - 1, orgId, ignorer.user.user.email)
      .run();
    expect(
      (await json<{ invitations: unknown[] }>(await as(ignorer.token, '/v1/invitations'), 200)).invitations,
    ).toEqual([]);
    const late = await as(ignorer.token, `/v1/invitations/${pending.invitations[0]?.id}/accept`, {
      method: 'POST',
    });
    expect(late.status).toBe(404);
  });

  it("owners and admins read their organization's audit log; members cannot; another org's is 404", async () => {
    const owner = await tenant();
    const member = await tenant();
    const stranger = await tenant();
    const orgId = await createOrg(owner, 'Audited');
    await addMember(owner, orgId, member);
    const log = await json<{ entries: { action: string }[] }>(
      await as(owner.token, `/v1/orgs/${orgId}/audit`),
      200,
    );
    expect(log.entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['org.created', 'org.member_invited', 'org.member_added']),
    );
    expect((await as(member.token, `/v1/orgs/${orgId}/audit`)).status).toBe(403);
    expect((await as(stranger.token, `/v1/orgs/${orgId}/audit`)).status).toBe(404);
  });

  it('caps the organizations one user may create', async () => {
    const owner = await tenant();
    const cap = { MAX_ORGS_PER_USER: '2' } as Partial<Env>;
    for (const name of ['one', 'two'])
      expect((await as(owner.token, '/v1/orgs', { body: { name } }, cap)).status).toBe(201);
    const third = await as(owner.token, '/v1/orgs', { body: { name: 'three' } }, cap);
    expect(third.status).toBe(409);
    expect((await errorOf(third)).code).toBe('org_limit');
  });
});
