/** An API error: the status and the `{error: {code, message, requestId}}` body, plus Retry-After. */
export class AirlockError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  /** Seconds to wait before retrying (429, 503), when the server said so. */
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(
    status: number,
    body: { code?: string; message?: string; requestId?: string } & Record<string, unknown>,
    retryAfter: string | null,
  ) {
    super(body.message ?? `HTTP ${status}`);
    this.name = 'AirlockError';
    this.status = status;
    this.code = body.code ?? 'http_error';
    this.requestId = body.requestId;
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    this.retryAfterSeconds = Number.isFinite(seconds) ? seconds : undefined;
    const { code: _c, message: _m, requestId: _r, ...details } = body;
    this.details = details;
  }
}

/** The stream could not be (re)opened, or ended without an exit frame after every retry. */
export class StreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamError';
  }
}
