import { auditQuery, invite, newOrg, orgSettings, removal } from '../routes/orgs.ts';
import {
  API,
  arrayOf,
  fromZod,
  json,
  noContent,
  type OperationSpec,
  obj,
  pathParam,
  queryParams,
  ref,
  str,
} from './spec.ts';

const orgIdParam = pathParam(
  'id',
  str(),
  'The organization id; an organization the caller is not in is a 404.',
);

/** Organizations and their members. */
export const orgOperations: readonly OperationSpec[] = [
  // ── orgs
  {
    method: 'get',
    path: '/v1/orgs',
    operationId: 'listOrgs',
    tag: 'orgs',
    summary: "The caller's organizations",
    description: 'An API key sees only its own organization.',
    access: 'any',
    rateLimits: API,
    success: [json(200, 'The organizations.', obj({ orgs: arrayOf(ref('Org')) }))],
  },
  {
    method: 'post',
    path: '/v1/orgs',
    operationId: 'createOrg',
    tag: 'orgs',
    summary: 'Create an organization (the caller owns it)',
    access: 'user',
    rateLimits: API,
    body: { schema: fromZod(newOrg), required: true },
    success: [json(201, 'The organization.', ref('Org'))],
  },
  {
    method: 'patch',
    path: '/v1/orgs/{id}',
    operationId: 'updateOrg',
    tag: 'orgs',
    summary: "Change an organization's settings (owners and admins)",
    description:
      '`monthlyTokenCap`: the task tokens (in + out, all members together) the organization allows itself per ' +
      'UTC calendar month; null removes the cap. Past it, POST /v1/tasks answers 429 `token_cap_reached` ' +
      '(with `Retry-After` to the start of next month) before any provider call, and running tasks make no ' +
      'further model call. Absent fields are left as they are.',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam],
    body: { schema: fromZod(orgSettings), required: true },
    success: [json(200, 'The organization.', ref('Org'))],
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/v1/orgs/{id}/members',
    operationId: 'listMembers',
    tag: 'orgs',
    summary: 'Members of an organization',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam],
    success: [json(200, 'The members.', obj({ members: arrayOf(ref('Member')) }))],
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/v1/orgs/{id}/members',
    operationId: 'addMember',
    tag: 'orgs',
    summary: 'Invite a user by email',
    description:
      'Creates (or renews) an invitation the invitee accepts with POST /v1/invitations/{id}/accept; the answer ' +
      'is the same whether or not the email has an account. Owners invite admins and members; admins invite ' +
      'members. Needs a recent sign-in (403 `reauthentication_required`, see POST /v1/auth/reauth).',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam],
    body: { schema: fromZod(invite), required: true },
    success: [
      json(
        202,
        'The invitation.',
        obj({
          invitation: obj({ id: str(), email: str(), role: str(), expiresAt: str({ format: 'date-time' }) }),
        }),
      ),
    ],
    errors: ['not_found', 'conflict', 'personal_org', 'reauthentication_required'],
  },
  {
    method: 'delete',
    path: '/v1/orgs/{id}/members',
    operationId: 'removeMember',
    tag: 'orgs',
    summary: 'Remove a member (or leave) by user id or email',
    description:
      "Anyone may leave; owners remove anyone, admins remove plain members. The member's API keys in the " +
      'organization are revoked.',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam],
    body: { schema: fromZod(removal), required: true },
    success: [noContent('The member is removed.')],
    errors: ['not_found', 'last_owner', 'personal_org'],
  },
  {
    method: 'delete',
    path: '/v1/orgs/{id}/members/{userId}',
    operationId: 'removeMemberById',
    tag: 'orgs',
    summary: 'Remove a member (or leave) by user id',
    description: 'The same as DELETE /v1/orgs/{id}/members with `{"userId"}`.',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam, pathParam('userId', str(), 'The member to remove.')],
    success: [noContent('The member is removed.')],
    errors: ['not_found', 'last_owner', 'personal_org', 'reauthentication_required'],
  },
  {
    method: 'get',
    path: '/v1/orgs/{id}/audit',
    operationId: 'orgAuditLog',
    tag: 'orgs',
    summary: "The organization's audit log (owners and admins)",
    description: 'Newest first; `before` (epoch ms) pages back. A member gets 403; another organization 404.',
    access: 'user',
    rateLimits: API,
    parameters: [orgIdParam, ...queryParams(auditQuery)],
    success: [json(200, 'Audit entries.', obj({ entries: arrayOf({ type: 'object' }) }))],
    errors: ['not_found', 'forbidden'],
  },
  {
    method: 'get',
    path: '/v1/invitations',
    operationId: 'listInvitations',
    tag: 'orgs',
    summary: "The caller's pending invitations",
    access: 'user',
    rateLimits: API,
    success: [json(200, 'Pending invitations.', obj({ invitations: arrayOf({ type: 'object' }) }))],
  },
  {
    method: 'post',
    path: '/v1/invitations/{id}/accept',
    operationId: 'acceptInvitation',
    tag: 'orgs',
    summary: 'Accept an invitation addressed to the caller',
    description: 'Unknown, expired, used or someone else’s invitations are all 404.',
    access: 'user',
    rateLimits: API,
    parameters: [pathParam('id', str(), 'The invitation id.')],
    success: [json(200, 'The organization joined.', ref('Org'))],
    errors: ['not_found'],
  },
];
