import { decodeBase64Lenient, encodeBase64Url, LanguageSchema, RUN_STATUSES } from '@airlock/protocol';
import { z } from 'zod';
import type { RunCursor } from '../../repositories/runs.ts';

/** GET /v1/runs query: page size, opaque cursor (from `nextCursor`), filters. */
export const ListQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'an integer from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'an integer from 1 to 100').max(100, 'an integer from 1 to 100'))
    .optional()
    .default(20),
  cursor: z.string().max(200).optional(),
  status: z.enum(['queued', 'running', ...RUN_STATUSES]).optional(),
  language: LanguageSchema.optional(),
});

/** The cursor is the (created_at, id) of the last run on the page, base64url-encoded. */
export function encodeCursor(cursor: RunCursor): string {
  return encodeBase64Url(new TextEncoder().encode(`${cursor.createdAt}:${cursor.id}`));
}

export function decodeCursor(text: string): RunCursor | undefined {
  const bytes = decodeBase64Lenient(text);
  if (!bytes) return undefined;
  const match = /^(\d{1,16}):([A-Za-z0-9_-]{1,64})$/.exec(new TextDecoder().decode(bytes));
  if (!match?.[1] || !match[2]) return undefined;
  return { createdAt: Number(match[1]), id: match[2] };
}
