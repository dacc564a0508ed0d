import { LanguageSchema, RunLimitsSchema } from '@airlock/protocol';
import { z } from 'zod';
import { SETTINGS } from '../../limits.ts';
import { PROVIDERS } from '../crypto/provider-key-cipher.ts';

/**
 * The body of POST /v1/tasks. Limits that depend on configuration (prompt size, attempts, the
 * offered models) are checked by the route against the config, so a 400 names the field at fault.
 */
export const TASK_ATTEMPTS_CEILING = SETTINGS.taskMaxAttempts.max;

export const TaskBodySchema = z.strictObject({
  prompt: z.string().min(1, 'must not be empty'),
  provider: z.enum(PROVIDERS),
  model: z.string().min(1).max(128),
  language: LanguageSchema,
  maxAttempts: z.number().int().min(1).max(TASK_ATTEMPTS_CEILING).optional(),
  /** Limits of each attempt's run (the run limits of POST /v1/runs). */
  limits: RunLimitsSchema.optional(),
});

export type TaskBody = z.infer<typeof TaskBodySchema>;
