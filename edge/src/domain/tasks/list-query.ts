import { z } from 'zod';

/** GET /v1/tasks query: page size and the opaque cursor of runs' lists (domain/runs/list-query.ts). */
export const TaskListQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'an integer from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'an integer from 1 to 100').max(100, 'an integer from 1 to 100'))
    .optional()
    .default(20),
  cursor: z.string().max(200).optional(),
});
