import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../env.ts';
import { ApiError } from './api-error.ts';
import { codeForStatus, defaultMessage, type ErrorCode, errorStatus } from './codes.ts';

function errorBody(c: Context<AppEnv>, code: ErrorCode, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, requestId: c.get('requestId') ?? '', ...details } };
}

function errorResponse(
  c: Context<AppEnv>,
  code: ErrorCode,
  options: { message?: string; details?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Response {
  const body = errorBody(c, code, options.message ?? defaultMessage[code], options.details);
  return c.json(body, errorStatus[code], options.headers);
}

/** Map any thrown value to the standard error body: generic to clients, detailed in the logs. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  const logger = c.get('logger');
  if (err instanceof ApiError) {
    if (err.status >= 500) logger?.error('request failed', { code: err.code, err: err.cause ?? err });
    return errorResponse(c, err.code, { message: err.message, details: err.details, headers: err.headers });
  }
  if (err instanceof HTTPException && err.status < 500) {
    // Hono built-ins (e.g. the validator's "Malformed JSON") carry client-safe messages.
    const code = err.message.startsWith('Malformed JSON') ? 'invalid_json' : codeForStatus(err.status);
    return errorResponse(c, code);
  }
  logger?.error('unhandled error', { err });
  return errorResponse(c, 'internal_error');
}
