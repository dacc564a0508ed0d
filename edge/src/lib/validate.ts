import { zValidator } from '@hono/zod-validator';
import type { ZodType } from 'zod';
import { ApiError } from '../errors/api-error.ts';

/**
 * JSON body validation for routes. Schemas are strict objects, so unknown fields are rejected; the
 * error names each failing field (never echoing its value, which may be a password).
 */
export function jsonBody<T extends ZodType>(schema: T) {
  return zValidator('json', schema, (result, c) => {
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      throw new ApiError('unsupported_media_type');
    }
    if (!result.success) {
      const fields = result.error.issues.map((issue) => ({
        field: issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(',') : '(body)'),
        problem: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message,
      }));
      throw new ApiError('validation_failed', {
        message: `Invalid request: ${fields.map((f) => `${f.field} (${f.problem})`).join('; ')}`,
        details: { fields },
      });
    }
  });
}
