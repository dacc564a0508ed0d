import { HTTPException } from 'hono/http-exception';
import { defaultMessage, type ErrorCode, errorStatus } from './codes.ts';

interface ApiErrorOptions {
  /** Safe for clients: it is sent as is. */
  message?: string;
  /** Extra client-safe fields, e.g. the invalid field names. */
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** For the logs only. */
  cause?: unknown;
}

/** The one exception routes throw; `app.onError` turns it into the standard error body. */
export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, options: ApiErrorOptions = {}) {
    super(errorStatus[code], { message: options.message ?? defaultMessage[code], cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }
}
