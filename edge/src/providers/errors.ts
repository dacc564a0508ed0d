import { APICallError, RetryError } from 'ai';

/**
 * What a failed provider call means, without anything the provider said: its error bodies can echo
 * the key or the prompt, so only the status and `Retry-After` are kept. An invalid or unauthorized
 * key → `provider_auth_failed`; quota → `provider_rate_limited` (with the provider's `Retry-After`
 * when it gave one); our deadline or the provider's → `provider_timeout`; anything else →
 * `provider_error`.
 */
export type ProviderFailure =
  | { code: 'provider_auth_failed'; status?: number }
  | { code: 'provider_rate_limited'; retryAfterSeconds: number }
  | { code: 'provider_timeout' }
  | { code: 'provider_error'; status?: number }
  /** Not the provider's: the organization's monthly token cap stopped the call before it was made. */
  | { code: 'token_cap_reached' };

/** Used when a 429 carries no usable Retry-After. */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;
const MAX_RETRY_AFTER_SECONDS = 3600;

export function classifyProviderError(err: unknown, timedOut: boolean): ProviderFailure {
  if (timedOut) return { code: 'provider_timeout' };
  const cause = RetryError.isInstance(err) ? err.lastError : err;
  if (APICallError.isInstance(cause)) {
    const status = cause.statusCode;
    if (status === 401 || status === 403) return { code: 'provider_auth_failed', status };
    // Gemini answers an invalid key with 400 INVALID_ARGUMENT and the reason API_KEY_INVALID.
    if (status === 400 && /API_KEY_INVALID|API key not valid/.test(cause.responseBody ?? '')) {
      return { code: 'provider_auth_failed', status };
    }
    if (status === 429) {
      return { code: 'provider_rate_limited', retryAfterSeconds: retryAfter(cause.responseHeaders) };
    }
    if (status === 408 || status === 504) return { code: 'provider_timeout' };
    return { code: 'provider_error', ...(status === undefined ? {} : { status }) };
  }
  if (isAbort(cause)) return { code: 'provider_timeout' };
  return { code: 'provider_error' };
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), bounded. */
export function retryAfter(headers: Record<string, string> | undefined, now = Date.now()): number {
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (value === undefined) return DEFAULT_RETRY_AFTER_SECONDS;
  const clamp = (n: number) => Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(n)));
  if (/^\d+(\.\d+)?$/.test(value.trim())) return clamp(Number(value));
  const at = Date.parse(value);
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_SECONDS : clamp((at - now) / 1000);
}

/** A short, content-free description for the logs (never the provider's message or body). */
export function describeFailure(err: unknown): Record<string, unknown> {
  const cause = RetryError.isInstance(err) ? err.lastError : err;
  if (APICallError.isInstance(cause)) return { kind: 'api_call', status: cause.statusCode ?? null };
  return { kind: cause instanceof Error ? cause.name : typeof cause };
}
