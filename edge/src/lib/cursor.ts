import { z } from 'zod';
import { fromBase64Url, toBase64Url } from '../domain/crypto/encoding.ts';

/**
 * The one keyset-cursor encoding of every list (runs, the admin audit log): the sort time and the id
 * of the last row of a page, `<at>:<id>` in base64url. Opaque to clients; decoding is strict (digits,
 * then an id of [A-Za-z0-9_-]), so a forged cursor is a 400, never part of a query.
 */

export interface Cursor {
  /** The sort key of the last row (epoch ms). */
  readonly at: number;
  readonly id: string;
}

const PLAIN = /^(\d{1,16}):([A-Za-z0-9_-]{1,64})$/;
const MAX_CURSOR_LENGTH = 200;

export function encodeCursor(cursor: Cursor): string {
  return toBase64Url(new TextEncoder().encode(`${cursor.at}:${cursor.id}`));
}

export function decodeCursor(text: string): Cursor | undefined {
  if (text.length > MAX_CURSOR_LENGTH) return undefined;
  const bytes = fromBase64Url(text);
  if (!bytes) return undefined;
  const match = PLAIN.exec(new TextDecoder().decode(bytes));
  if (!match?.[1] || !match[2]) return undefined;
  return { at: Number(match[1]), id: match[2] };
}

/** A query parameter holding a cursor: decoded, or a validation problem naming it. */
export const cursorParam = z
  .string()
  .max(MAX_CURSOR_LENGTH)
  .transform((text, ctx) => {
    const cursor = decodeCursor(text);
    if (cursor) return cursor;
    ctx.addIssue({ code: 'custom', message: 'is not a cursor from a previous page' });
    return z.NEVER;
  });
