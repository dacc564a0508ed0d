import { encodeBase64Url } from '@airlock/protocol';
import { FIXED } from '../../limits.ts';

/**
 * Stream tickets: what a browser puts in the stream URL instead of a credential (browsers cannot set
 * headers on a WebSocket, and access tokens never go in a query string). A ticket is 256 random bits,
 * valid for 60 s, good for one handshake and one run; the run's session stores only its SHA-256.
 */
export const STREAM_TICKET_TTL_MS = FIXED.streamTicketTtlMs;
const PREFIX = 'rt_';
const SHAPE = /^rt_[A-Za-z0-9_-]{43}$/;

export function newTicket(random: (n: number) => Uint8Array): string {
  return `${PREFIX}${encodeBase64Url(random(32))}`;
}

export function isTicketShaped(value: string | undefined | null): value is string {
  return typeof value === 'string' && SHAPE.test(value);
}

export async function hashTicket(ticket: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(ticket));
  return encodeBase64Url(new Uint8Array(digest));
}

export function ticketUsable(expiresAt: number | undefined, now: number): boolean {
  return expiresAt !== undefined && now < expiresAt;
}
