import { toBase64Url } from '../../lib/bytes.ts';
import { FIXED } from '../../limits.ts';

/**
 * The pure half of `Idempotency-Key` (middleware/idempotency.ts): what a valid key is, what makes two
 * requests "the same", and which answers are kept for replay.
 *
 * Kept: what a retry must not repeat. Every success (a run or task was started), every error that
 * names what the request created (`details.runId` or `details.taskId`: a provider failure after the
 * task was recorded, a run ended `sandbox_unavailable`), and every unexpected failure (500: whether
 * something started cannot be known, so the safe side is not to start it again, as Stripe does).
 * Released: refusals before anything started (validation, rate and concurrency limits, every host
 * busy, no provider key): the client fixes or waits and retries with the same key.
 */

/** Printable ASCII without spaces, 1–255 characters (Stripe's length; UUIDs fit). */
const KEY = new RegExp(`^[\\x21-\\x7E]{1,${FIXED.idempotencyKeyMaxLength}}$`);

export const KEY_PROBLEM = `1 to ${FIXED.idempotencyKeyMaxLength} printable ASCII characters, no spaces (a UUID, say)`;

export function validKey(key: string): boolean {
  return KEY.test(key);
}

/** SHA-256 (base64url) of method, path and the body's bytes: a retry sends the same bytes. */
export async function requestHash(method: string, path: string, body: ArrayBuffer): Promise<string> {
  const head = new TextEncoder().encode(`${method.toUpperCase()} ${path}\n`);
  const all = new Uint8Array(head.byteLength + body.byteLength);
  all.set(head, 0);
  all.set(new Uint8Array(body), head.byteLength);
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', all)));
}

export interface AnswerFacts {
  status: number;
  /** The ApiError the route threw, if any. */
  error?: { code: string; details?: Record<string, unknown> };
  /** A failure that was not an ApiError (a bug, a D1 outage). */
  unexpected: boolean;
}

export function keepsAnswer(facts: AnswerFacts): boolean {
  if (facts.status < 400) return true;
  if (facts.error) {
    const details = facts.error.details ?? {};
    return facts.error.code === 'internal_error' || 'runId' in details || 'taskId' in details;
  }
  return facts.unexpected || facts.status >= 500;
}
