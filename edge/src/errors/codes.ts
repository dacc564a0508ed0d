import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * Every error code the API can answer with, and its HTTP status. Adding a code without a status
 * (or the reverse) is a compile error, so clients can rely on the pair being stable.
 */
export const errorStatus = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  weak_password: 400,
  registration_failed: 400,
  invalid_reset_token: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_refresh_token: 401,
  forbidden: 403,
  password_incorrect: 403,
  reauthentication_required: 403,
  origin_not_allowed: 403,
  insufficient_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_in_progress: 409,
  idempotency_key_reused: 422,
  token_cap_reached: 429,
  last_owner: 409,
  personal_org: 409,
  api_key_limit: 409,
  org_limit: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  run_concurrency_limit: 429,
  internal_error: 500,
  server_misconfigured: 500,
  sandbox_unavailable: 503,
  sandbox_busy: 503,
  upgrade_required: 426,
  // AI tasks (issue 13). Provider failures never echo the provider's body (it can carry the key).
  unknown_model: 400,
  provider_key_missing: 400,
  provider_auth_failed: 400,
  provider_rate_limited: 429,
  provider_error: 502,
  provider_timeout: 504,
  // Files and archives (issue 15).
  archive_rejected: 400,
  files_too_large_for_run: 400,
  file_quota_exceeded: 409,
  file_missing: 409,
  // Sign in with Google and GitHub, email confirmation (issue 14).
  oauth_provider_disabled: 404,
  invalid_redirect: 400,
  oauth_state_invalid: 400,
  oauth_pkce_missing: 400,
  oauth_denied: 400,
  oauth_provider_error: 502,
  oauth_token_invalid: 401,
  oauth_email_unverified: 403,
  oauth_account_exists: 409,
  oauth_identity_in_use: 409,
  oauth_identity_mismatch: 403,
  identity_already_linked: 409,
  last_sign_in_method: 409,
  password_not_allowed: 403,
  invalid_verification_token: 400,
  email_unverified: 403,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorStatus;

/** Generic client-facing messages: detail goes to the logs, never to the client. */
export const defaultMessage: Record<ErrorCode, string> = {
  bad_request: 'The request could not be understood.',
  invalid_json: 'The request body is not valid JSON.',
  validation_failed: 'The request failed validation.',
  weak_password: 'Choose a password of 12 to 128 characters that is not a commonly used one.',
  registration_failed:
    'Registration failed. If you already have an account, sign in or reset your password; otherwise use a different email address.',
  invalid_reset_token: 'This password reset link is invalid or has expired. Ask for a new one.',
  unauthorized: 'Authentication is required.',
  invalid_credentials: 'Invalid email or password.',
  invalid_refresh_token: 'The session has ended. Sign in again.',
  forbidden: 'You are not allowed to do this.',
  password_incorrect: 'The current password is not correct.',
  reauthentication_required: 'Confirm your identity (POST /v1/auth/reauth), then retry.',
  origin_not_allowed: 'This origin is not allowed.',
  insufficient_scope: 'This API key does not have the scope this route needs.',
  not_found: 'Not found.',
  method_not_allowed: 'Method not allowed.',
  conflict: 'The request conflicts with the current state.',
  idempotency_in_progress:
    'A request with this Idempotency-Key is still in progress. Retry once it has answered.',
  idempotency_key_reused:
    'This Idempotency-Key was used with a different request. Use a new key for a new request.',
  token_cap_reached:
    'Your organization has used its monthly task token cap. It resets at the start of next month (UTC), or an owner or admin can raise it.',
  last_owner: 'An organization needs an owner: add another owner first.',
  personal_org: 'A personal organization has exactly one member and cannot be left.',
  api_key_limit: 'Too many active API keys. Revoke one first.',
  org_limit: 'You have created the maximum number of organizations. Delete one or ask for more.',
  payload_too_large: 'The request body is too large.',
  unsupported_media_type: 'The request body must be application/json.',
  rate_limited: 'Too many requests. Try again later.',
  run_concurrency_limit: 'Your organization has too many runs in progress. Wait for one to finish.',
  internal_error: 'Something went wrong. Try again later.',
  server_misconfigured: 'The server is misconfigured.',
  sandbox_unavailable: 'No sandbox host is available.',
  sandbox_busy: 'Every sandbox host is at capacity. Try again shortly.',
  upgrade_required: 'This endpoint is a WebSocket: open it with an Upgrade request.',
  unknown_model: 'This model is not offered for this provider.',
  provider_key_missing:
    'You have no key stored for this provider. Add one with PUT /v1/provider-keys/{provider}.',
  provider_auth_failed:
    'The provider rejected your stored key. Replace it with PUT /v1/provider-keys/{provider}.',
  provider_rate_limited: 'The provider refused the call for quota or rate limits. Try again later.',
  provider_error: 'The provider failed the call. Try again later.',
  provider_timeout: 'The provider did not answer in time.',
  archive_rejected: 'The archive was rejected: see `reason`.',
  files_too_large_for_run: "The run's files do not fit the run's /work.",
  file_quota_exceeded: "Your organization's file storage is full. Delete files first.",
  file_missing: 'A file the run mounts was deleted before the run started. Upload it again.',
  oauth_provider_disabled: 'This sign-in provider is not offered here.',
  invalid_redirect: 'That redirect is not allowed.',
  oauth_state_invalid: 'The sign-in could not be matched to this browser, or it expired. Start again.',
  oauth_pkce_missing: 'The sign-in could not be completed in this browser. Start again.',
  oauth_denied: 'The provider did not grant access.',
  oauth_provider_error: 'The provider could not complete the sign-in. Try again.',
  oauth_token_invalid: 'The provider’s answer could not be verified.',
  oauth_email_unverified: 'The provider has no verified email address for this account.',
  oauth_account_exists:
    'An account with this email already exists. Sign in to it, then link this provider from your account page.',
  oauth_identity_in_use: 'This provider account is already linked to another Airlock account.',
  oauth_identity_mismatch: 'Re-verify with the provider account linked to this Airlock account.',
  identity_already_linked: 'An account of this provider is already linked. Unlink it first.',
  last_sign_in_method: 'This is your last way to sign in: add another before removing it.',
  password_not_allowed: 'Accounts created with Google or GitHub cannot set a password here.',
  invalid_verification_token: 'This confirmation link is invalid or has expired. Ask for a new one.',
  email_unverified: 'Confirm your email address first (see the confirmation mail).',
};

/** Map a bare HTTP status (e.g. from a Hono built-in) to our code for it. */
export function codeForStatus(status: number): ErrorCode {
  const found = (Object.keys(errorStatus) as ErrorCode[]).find((code) => errorStatus[code] === status);
  return found ?? (status >= 500 ? 'internal_error' : 'bad_request');
}
