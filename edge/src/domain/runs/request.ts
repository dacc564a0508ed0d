import { LIMITS, type RunRequest, RunRequestSchema } from '@airlock/protocol';
import { z } from 'zod';
import type { RuntimeView } from './runtimes.ts';

/**
 * The body of POST /v1/runs: the protocol's run request (the same schema the host enforces) plus
 * `wait`. The cross-field rules are restated with a path, so a 400 names the field at fault.
 */
const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s).byteLength;

const { mounts: _mounts, ...clientShape } = RunRequestSchema.shape;

/**
 * Clients name uploaded files by id (`fileIds`, issue 15); the edge resolves them, in the caller's
 * scope, into the request's `mounts` (never taken from the client).
 */
export const RunBodySchema = z
  .strictObject({
    ...clientShape,
    fileIds: z.array(z.uuid()).min(1).max(LIMITS.maxMounts).optional(),
    wait: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    if (body.code !== undefined && body.files !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'exactly one of code or files is required' });
      return;
    }
    if (body.code === undefined && body.files === undefined && body.fileIds === undefined) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'one of code, files or fileIds is required' });
      return;
    }
    if (body.entry !== undefined && (body.fileIds === undefined || body.code !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['entry'], message: 'only with fileIds and without code' });
    }
    if (body.fileIds !== undefined && body.code === undefined && body.files === undefined && !body.entry) {
      ctx.addIssue({
        code: 'custom',
        path: ['entry'],
        message: 'required when fileIds are the whole program',
      });
    }
    if (body.fileIds !== undefined && new Set(body.fileIds).size !== body.fileIds.length) {
      ctx.addIssue({ code: 'custom', path: ['fileIds'], message: 'ids must be unique' });
    }
    if (body.code !== undefined && bytes(body.code) > LIMITS.maxCodeBytes) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: `at most ${LIMITS.maxCodeBytes} bytes` });
    }
    if (body.files !== undefined) {
      if (body.files.reduce((n, f) => n + bytes(f.content), 0) > LIMITS.maxCodeBytes) {
        ctx.addIssue({
          code: 'custom',
          path: ['files'],
          message: `at most ${LIMITS.maxCodeBytes} bytes in total`,
        });
      }
      const names = body.files.map((f) => f.name);
      if (new Set(names).size !== names.length) {
        ctx.addIssue({ code: 'custom', path: ['files'], message: 'names must be unique' });
      }
    }
  });

export interface FieldProblem {
  field: string;
  problem: string;
}

/** The language must be offered by a host, and the limits within what that runtime allows. */
export function runtimeProblem(
  request: RunRequest,
  runtimes: readonly RuntimeView[],
): FieldProblem | undefined {
  const runtime = runtimes.find((r) => r.language === request.language);
  if (!runtime) {
    return {
      field: 'language',
      problem: `not offered; one of: ${runtimes.map((r) => r.language).join(', ')}`,
    };
  }
  const { timeoutMs, memoryMb } = request.limits ?? {};
  if (timeoutMs !== undefined && timeoutMs > runtime.limits.maxTimeoutMs) {
    return { field: 'limits.timeoutMs', problem: `at most ${runtime.limits.maxTimeoutMs}` };
  }
  if (memoryMb !== undefined && memoryMb > runtime.limits.maxMemoryMb) {
    return { field: 'limits.memoryMb', problem: `at most ${runtime.limits.maxMemoryMb}` };
  }
  return undefined;
}
