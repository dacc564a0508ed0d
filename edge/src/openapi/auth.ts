import { credentials, forgotBody, reauthBody, refreshBody, resetBody } from '../routes/auth.ts';
import { fromZod, json, noContent, type OperationSpec, obj, ref, str } from './spec.ts';

/** Health, this document, and sign-up, sign-in, sessions and password reset. */
export const authOperations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'health',
    summary: 'Liveness check',
    access: 'public',
    success: [json(200, 'The edge is up.', obj({ status: str({ const: 'ok' }) }))],
  },
  {
    method: 'get',
    path: '/v1/openapi.json',
    operationId: 'openapi',
    tag: 'meta',
    summary: 'This OpenAPI document',
    access: 'public',
    success: [json(200, 'The OpenAPI 3.1 document of the API.', { type: 'object' })],
  },
  // ── auth
  {
    method: 'post',
    path: '/v1/auth/register',
    operationId: 'register',
    tag: 'auth',
    summary: 'Create an account (with a personal organization) and sign in',
    access: 'public',
    rateLimits: ['register'],
    body: { schema: fromZod(credentials), required: true },
    success: [
      json(201, 'The account exists; a session starts (the refresh cookie is set too).', ref('Session')),
    ],
    errors: ['weak_password', 'registration_failed'],
  },
  {
    method: 'post',
    path: '/v1/auth/login',
    operationId: 'login',
    tag: 'auth',
    summary: 'Sign in with email and password',
    access: 'public',
    rateLimits: ['login'],
    body: { schema: fromZod(credentials), required: true },
    success: [json(200, 'A new session (the refresh cookie is set too).', ref('Session'))],
    errors: ['invalid_credentials'],
  },
  {
    method: 'post',
    path: '/v1/auth/refresh',
    operationId: 'refresh',
    tag: 'auth',
    summary: 'Exchange a refresh token for a new token pair',
    description:
      'The refresh token comes from the JSON body or, without one, the refresh cookie. Each refresh token ' +
      'works once: presenting a used one revokes its whole session family.',
    access: 'public',
    body: { schema: fromZod(refreshBody), required: false },
    success: [json(200, 'A new token pair.', ref('Session'))],
    errors: ['invalid_refresh_token'],
  },
  {
    method: 'post',
    path: '/v1/auth/logout',
    operationId: 'logout',
    tag: 'auth',
    summary: 'End the session of a refresh token',
    description:
      'The refresh token comes from the JSON body or the refresh cookie; an unknown one is not an error.',
    access: 'public',
    body: { schema: fromZod(refreshBody), required: false },
    success: [noContent('Signed out; the refresh cookie is cleared.')],
  },
  {
    method: 'post',
    path: '/v1/auth/reauth',
    operationId: 'reauthenticate',
    tag: 'auth',
    summary: 'Confirm the password, or re-verify with the provider, for sudo mode',
    description:
      '`{password}`: answers a new access token whose sign-in time is now; routes answering 403 ' +
      '`reauthentication_required` (API-key creation, member changes, account deletion) accept it for ' +
      'RECENT_AUTH_SECONDS. `{provider}` (social accounts): answers `{authorizationUrl}`; the provider round ' +
      'trip (Google: prompt=login, max_age=0, auth_time checked) ends at the callback with a fresh session.',
    access: 'user',
    rateLimits: ['reauth'],
    body: { schema: fromZod(reauthBody), required: true },
    success: [
      json(200, 'A fresh access token.', {
        oneOf: [
          obj({ accessToken: str(), expiresIn: { type: 'integer' }, tokenType: str() }),
          obj({ authorizationUrl: str({ format: 'uri' }) }),
        ],
      }),
    ],
    errors: [
      'password_incorrect',
      'reauthentication_required',
      'oauth_identity_mismatch',
      'invalid_redirect',
    ],
  },
  {
    method: 'post',
    path: '/v1/auth/password/forgot',
    operationId: 'forgotPassword',
    tag: 'auth',
    summary: 'Ask for a password reset link by email',
    description: 'Always 202, whether or not an account with a password uses the address.',
    access: 'public',
    rateLimits: ['password'],
    body: { schema: fromZod(forgotBody), required: true },
    success: [json(202, 'Accepted.', obj({ status: str({ const: 'accepted' }), message: str() }))],
  },
  {
    method: 'post',
    path: '/v1/auth/password/reset',
    operationId: 'resetPassword',
    tag: 'auth',
    summary: 'Set a new password with the token from the reset link',
    description: 'Every session of the account ends.',
    access: 'public',
    rateLimits: ['password'],
    body: {
      schema: fromZod(resetBody),
      required: true,
    },
    success: [noContent('The password is changed.')],
    errors: ['weak_password', 'invalid_reset_token'],
  },
];
