import { z } from 'zod';
import { decodeCursor as decodeKeyset, encodeCursor as encodeKeyset } from '../../lib/cursor.ts';
import { FIXED } from '../../limits.ts';
import type { TaskCursor } from '../../repositories/tasks.ts';

/** GET /v1/tasks query: page size and the opaque cursor (the one cursor encoding, lib/cursor.ts). */
const PAGE_SIZE = `an integer from 1 to ${FIXED.runsPageMax}`;

export const TaskListQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, PAGE_SIZE)
    .transform(Number)
    .pipe(z.number().int().min(1, PAGE_SIZE).max(FIXED.runsPageMax, PAGE_SIZE))
    .optional()
    .default(FIXED.runsPageDefault),
  cursor: z.string().max(200).optional(),
});

export function encodeCursor(cursor: TaskCursor): string {
  return encodeKeyset({ at: cursor.createdAt, id: cursor.id });
}

export function decodeCursor(text: string): TaskCursor | undefined {
  const cursor = decodeKeyset(text);
  return cursor && { createdAt: cursor.at, id: cursor.id };
}
