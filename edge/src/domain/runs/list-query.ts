import { LanguageSchema, RUN_STATUSES } from '@airlock/protocol';
import { z } from 'zod';
import { FIXED } from '../../limits.ts';
import type { RunCursor } from '../../repositories/runs.ts';

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
  status: z.enum(['queued', 'running', ...RUN_STATUSES]).optional(),
  language: LanguageSchema.optional(),
});

/** The cursor is the (created_at, id) of the last run on the page, base64url-encoded. */
export function encodeCursor(cursor: RunCursor): string {
  return btoa(`${cursor.createdAt}:${cursor.id}`)
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

export function decodeCursor(text: string): RunCursor | undefined {
  try {
    const plain = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
    const match = /^(\d{1,16}):([A-Za-z0-9_-]{1,64})$/.exec(plain);
    if (!match?.[1] || !match[2]) return undefined;
    return { createdAt: Number(match[1]), id: match[2] };
  } catch {
    return undefined;
  }
}
