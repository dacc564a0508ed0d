import { verifyBody } from '../routes/email-verification.ts';
import {
  API,
  arrayOf,
  fromZod,
  type JsonSchema,
  json,
  noContent,
  type OperationSpec,
  obj,
  pathParam,
  str,
} from './spec.ts';

/** Sign in with Google and GitHub, linked identities and email confirmation (issue 14, docs/auth.md). */

const provider = pathParam('provider', str({ enum: ['google', 'github'] }), 'The sign-in provider.');
const redirectQuery: JsonSchema = {
  name: 'redirect',
  in: 'query',
  required: false,
  description: 'A console path to return to; must be one of OAUTH_REDIRECT_PATHS exactly.',
  schema: str(),
};
const authorization = obj({
  authorizationUrl: str({ format: 'uri', description: 'Send the browser here (the flow cookie is set).' }),
});

export const oauthOperations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/v1/auth/providers',
    operationId: 'listSignInProviders',
    tag: 'auth',
    summary: 'The sign-in providers this deployment offers',
    access: 'public',
    success: [
      json(
        200,
        'Providers with credentials configured; `url` starts the sign-in (a browser navigation).',
        obj({
          providers: arrayOf(obj({ id: str({ enum: ['google', 'github'] }), name: str(), url: str() })),
        }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/auth/oauth/{provider}/start',
    operationId: 'startSocialSignIn',
    tag: 'auth',
    summary: 'Start signing in with Google or GitHub (a browser navigation)',
    description:
      'Redirects to the provider (authorization code with PKCE, state, and a nonce for Google) and sets the ' +
      'short-lived flow cookie that binds the flow to this browser.',
    access: 'public',
    rateLimits: ['oauth'],
    parameters: [provider, redirectQuery],
    success: [{ status: 302, description: 'To the provider’s authorization page.' }],
    errors: ['oauth_provider_disabled', 'invalid_redirect', 'not_found'],
  },
  {
    method: 'get',
    path: '/v1/auth/oauth/{provider}/callback',
    operationId: 'socialSignInCallback',
    tag: 'auth',
    summary: 'Where the provider returns (sign-in, link or re-verification)',
    description:
      'Always redirects to CONSOLE_URL plus the flow’s allowed path. Success: `?signed_in=<provider>` with the ' +
      'refresh cookie set (POST /v1/auth/refresh then gives the access token), or `?linked=<provider>`. ' +
      'Failure: `?oauth_error=<code>` (oauth_state_invalid, oauth_pkce_missing, oauth_denied, ' +
      'oauth_provider_error, oauth_token_invalid, oauth_email_unverified, oauth_account_exists, ' +
      'oauth_identity_in_use, oauth_identity_mismatch, identity_already_linked).',
    access: 'public',
    rateLimits: ['oauth'],
    parameters: [provider],
    success: [{ status: 303, description: 'To the console.' }],
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/v1/auth/email/verify',
    operationId: 'verifyEmail',
    tag: 'auth',
    summary: 'Confirm the email address with the token from the confirmation link',
    access: 'public',
    rateLimits: ['email_verify'],
    body: { schema: fromZod(verifyBody), required: true },
    success: [noContent('The address is confirmed.')],
    errors: ['invalid_verification_token'],
  },
  {
    method: 'post',
    path: '/v1/me/email/verification',
    operationId: 'resendEmailVerification',
    tag: 'account',
    summary: 'Mail a new confirmation link',
    access: 'user',
    rateLimits: ['api', 'email_verify'],
    success: [json(202, 'Queued.', obj({ status: str({ const: 'accepted' }) }))],
    errors: ['conflict'],
  },
  {
    method: 'post',
    path: '/v1/me/identities/{provider}',
    operationId: 'linkIdentity',
    tag: 'account',
    summary: 'Link a Google or GitHub account (starts a provider round trip)',
    description: 'Needs a recent sign-in. The callback records the identity and returns to the console.',
    access: 'user',
    rateLimits: API,
    parameters: [provider, redirectQuery],
    success: [json(200, 'Where to send the browser.', authorization)],
    errors: [
      'reauthentication_required',
      'identity_already_linked',
      'oauth_provider_disabled',
      'invalid_redirect',
      'not_found',
    ],
  },
  {
    method: 'delete',
    path: '/v1/me/identities/{provider}',
    operationId: 'unlinkIdentity',
    tag: 'account',
    summary: 'Unlink a provider account',
    description: 'Needs a recent sign-in. The last way to sign in (no password, one identity) stays.',
    access: 'user',
    rateLimits: API,
    parameters: [provider],
    success: [noContent('Unlinked.')],
    errors: ['reauthentication_required', 'last_sign_in_method', 'not_found'],
  },
];
