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

/**
 * A relative path under /work, as the archive reader normalises them: safe segments, no `.`/`..`.
 * An archive run's `entry` names one.
 */
export const WorkPathSchema = z
  .string()
  .max(LIMITS.maxPathLength)
  .regex(/^[A-Za-z0-9._+-]+(\/[A-Za-z0-9._+-]+)*$/, 'a relative path of [A-Za-z0-9._+-] segments')
  .refine((p) => p.split('/').every((s) => s !== '.' && s !== '..'), 'no "." or ".." segments')
  .refine((p) => p.split('/').length <= LIMITS.maxPathDepth, `at most ${LIMITS.maxPathDepth} segments`);

/**
 * An uploaded file the run mounts (issue 15). The edge resolves the client's `fileIds` into these;
 * the bytes follow the `run` message as binary frames, in this order, and the host checks each
 * against `sha256` (covered by the run token, as the whole request is) before the container starts.
 * Archives are unpacked into /work (validated entries only); other files land as /work/<name>.
 */
export const MountSchema = z.strictObject({
  id: z.uuid(),
  name: z.string().regex(/^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,127}$/, 'a sanitised file name'),
  kind: z.enum(['zip', 'tar', 'tar.gz', 'file']),
  size: z.number().int().min(0).max(LIMITS.maxMountBytes),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'hex SHA-256'),
});
export type Mount = z.infer<typeof MountSchema>;

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
    mounts: z.array(MountSchema).min(1).max(LIMITS.maxMounts).optional(),
    /** With mounts and no `code`: the file that runs (as the runtime's file name, at /work's top). */
    entry: WorkPathSchema.optional(),
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
    if (req.code !== undefined && req.files !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of code or files is required' });
      return;
    }
    if (req.code === undefined && req.files === undefined && req.mounts === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'exactly one of code or files is required (or mounted files)',
      });
      return;
    }
    if (req.entry !== undefined && (req.mounts === undefined || req.code !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'entry: only with mounted files and without code' });
    }
    if (
      req.mounts !== undefined &&
      req.code === undefined &&
      req.files === undefined &&
      req.entry === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        message: 'entry: required when the mounted files are the whole program',
      });
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
