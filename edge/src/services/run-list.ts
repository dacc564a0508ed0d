import { LanguageSchema, RUN_VIEW_STATUSES } from '@airlock/protocol';
import { z } from 'zod';
import { decodeCursor as decodeKeyset, encodeCursor as encodeKeyset } from '../lib/cursor.ts';
import { FIXED } from '../limits.ts';
import type { RunCursor } from '../repositories/runs.ts';

/**
 * Listing runs: the GET /v1/runs query and its page cursor, between the route and the repository.
 */

const PAGE_SIZE = `an integer from 1 to ${FIXED.runsPageMax}`;

/** GET /v1/runs query: page size, opaque cursor (from `nextCursor`), filters. */
export const ListQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(new RegExp(`^\\d{1,${String(FIXED.runsPageMax).length}}$`), PAGE_SIZE)
    .transform(Number)
    .pipe(z.number().int().min(1, PAGE_SIZE).max(FIXED.runsPageMax, PAGE_SIZE))
    .optional()
    .default(FIXED.runsPageDefault),
  cursor: z.string().max(200).optional(),
  status: z.enum(RUN_VIEW_STATUSES).optional(),
  language: LanguageSchema.optional(),
});

/** The page cursor: the (created_at, id) of the last run on the page, in the one cursor encoding. */
export function encodeCursor(cursor: RunCursor): string {
  return encodeKeyset({ at: cursor.createdAt, id: cursor.id });
}

export function decodeCursor(text: string): RunCursor | undefined {
  const cursor = decodeKeyset(text);
  return cursor && { createdAt: cursor.at, id: cursor.id };
}
