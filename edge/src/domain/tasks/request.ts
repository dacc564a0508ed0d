import { LanguageSchema, LIMITS, RunLimitsSchema, SourceFileSchema } from '@airlock/protocol';
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
  /**
   * The project the program works with (issue 15): inline files and uploaded files by id. The model
   * is shown them (inline contents, an archive's paths); each attempt's run gets them beside the
   * program, which is the entry (the first file). One place is the program's own: at most
   * maxFiles − 1 inline files.
   */
  files: z
    .array(SourceFileSchema)
    .min(1)
    .max(LIMITS.maxFiles - 1)
    .optional(),
  fileIds: z
    .array(z.uuid())
    .min(1)
    .max(LIMITS.maxMounts)
    .refine((ids) => new Set(ids).size === ids.length, 'ids must be unique')
    .optional(),
});

export type TaskBody = z.infer<typeof TaskBodySchema>;
