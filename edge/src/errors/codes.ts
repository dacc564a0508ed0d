import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * Every error code the API can answer with, and its HTTP status. Adding a code without a status
 * (or the reverse) is a compile error, so clients can rely on the pair being stable.
 */
export const errorStatus = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  origin_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  server_misconfigured: 500,
  sandbox_unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorStatus;

/** Generic client-facing messages: detail goes to the logs, never to the client. */
export const defaultMessage: Record<ErrorCode, string> = {
  bad_request: 'The request could not be understood.',
  invalid_json: 'The request body is not valid JSON.',
  validation_failed: 'The request failed validation.',
  unauthorized: 'Authentication is required.',
  forbidden: 'You are not allowed to do this.',
  origin_not_allowed: 'This origin is not allowed.',
  not_found: 'Not found.',
  method_not_allowed: 'Method not allowed.',
  conflict: 'The request conflicts with the current state.',
  payload_too_large: 'The request body is too large.',
  unsupported_media_type: 'The request body must be application/json.',
  rate_limited: 'Too many requests. Try again later.',
  internal_error: 'Something went wrong. Try again later.',
  server_misconfigured: 'The server is misconfigured.',
  sandbox_unavailable: 'No sandbox host is available.',
};

/** Map a bare HTTP status (e.g. from a Hono built-in) to our code for it. */
export function codeForStatus(status: number): ErrorCode {
  const found = (Object.keys(errorStatus) as ErrorCode[]).find((code) => errorStatus[code] === status);
  return found ?? (status >= 500 ? 'internal_error' : 'bad_request');
}
