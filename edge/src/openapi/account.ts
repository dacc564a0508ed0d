import { changePasswordBody, deleteMeBody } from '../routes/me.ts';
import { API, fromZod, json, noContent, type OperationSpec, ref } from './spec.ts';

/** The signed-in user: their account, password and deletion. */
export const accountOperations: readonly OperationSpec[] = [
  // ── account
  {
    method: 'get',
    path: '/v1/me',
    operationId: 'getMe',
    tag: 'account',
    summary: 'The signed-in user',
    access: 'user',
    rateLimits: API,
    success: [json(200, 'The account.', ref('Me'))],
  },
  {
    method: 'put',
    path: '/v1/me/password',
    operationId: 'changePassword',
    tag: 'account',
    summary: 'Change the password (or set one, where allowed)',
    description:
      'Needs the current password; every session of the account ends. A social-only account has none: it may ' +
      'set one only when the operator sets ALLOW_SOCIAL_PASSWORD, and only with a recent provider sign-in.',
    access: 'user',
    rateLimits: ['api', 'reauth'],
    body: {
      schema: fromZod(changePasswordBody),
      required: true,
    },
    success: [noContent('The password is changed.')],
    errors: ['weak_password', 'password_incorrect', 'reauthentication_required', 'password_not_allowed'],
  },
  {
    method: 'post',
    path: '/v1/me/sessions/revoke',
    operationId: 'revokeMySessions',
    tag: 'account',
    summary: 'Sign out everywhere',
    description:
      'Revokes every refresh token of the account (every device, this one too) and ends every access token ' +
      'issued before now at its next request. API keys are not affected. Clears the refresh cookie.',
    access: 'user',
    rateLimits: API,
    success: [noContent('Every session has ended.')],
  },
  {
    method: 'delete',
    path: '/v1/me',
    operationId: 'deleteMe',
    tag: 'account',
    summary: 'Delete the account',
    description:
      'Needs a recent sign-in and, for a password account, the password (a social-only account re-verifies with ' +
      'its provider through POST /v1/auth/reauth). Organizations left ' +
      'without members are deleted; ownership passes on where another member remains.',
    access: 'user',
    rateLimits: ['api', 'reauth'],
    body: { schema: fromZod(deleteMeBody), required: true },
    success: [noContent('The account is gone.')],
    errors: ['password_incorrect', 'reauthentication_required'],
  },
];
