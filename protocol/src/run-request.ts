import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { byteLength } from './utf8.ts';

export const LanguageSchema = z.string().regex(/^[a-z0-9][a-z0-9+#-]{0,31}$/, 'language: lower-case id');

/** A flat file name: no directories, no leading dot, no `..`; the host never follows paths anyway. */
export const FileNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, 'file name: 1-64 of [A-Za-z0-9_.-], not starting with a dot');

export const SourceFileSchema = z.strictObject({ name: FileNameSchema, content: z.string() });
export type SourceFile = z.infer<typeof SourceFileSchema>;

export const RunLimitsSchema = z.strictObject({
  timeoutMs: z.number().int().min(LIMITS.minTimeoutMs).max(LIMITS.maxTimeoutMs).optional(),
  memoryMb: z.number().int().min(LIMITS.minMemoryMb).max(LIMITS.maxMemoryMb).optional(),
});
export type RunLimits = z.infer<typeof RunLimitsSchema>;

export const RunRequestSchema = z
  .strictObject({
    language: LanguageSchema,
    code: z.string().optional(),
    files: z.array(SourceFileSchema).min(1).max(LIMITS.maxFiles).optional(),
    stdin: z
      .string()
      .refine((s) => byteLength(s) <= LIMITS.maxStdinBytes, `stdin: at most ${LIMITS.maxStdinBytes} bytes`)
      .optional(),
    args: z
      .array(
        z
          .string()
          .refine((s) => !s.includes('\0'), 'args: no NUL bytes')
          .refine(
            (s) => byteLength(s) <= LIMITS.maxArgBytes,
            `args: at most ${LIMITS.maxArgBytes} bytes each`,
          ),
      )
      .max(LIMITS.maxArgs)
      .optional(),
    limits: RunLimitsSchema.optional(),
  })
  .superRefine((req, ctx) => {
    if ((req.code === undefined) === (req.files === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of code or files is required' });
      return;
    }
    const size =
      req.code !== undefined
        ? byteLength(req.code)
        : (req.files ?? []).reduce((n, f) => n + byteLength(f.content), 0);
    if (size > LIMITS.maxCodeBytes) {
      ctx.addIssue({ code: 'custom', message: `source: at most ${LIMITS.maxCodeBytes} bytes in total` });
    }
    const names = (req.files ?? []).map((f) => f.name);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', message: 'files: names must be unique' });
    }
  });
export type RunRequest = z.infer<typeof RunRequestSchema>;
