import { z } from 'zod';
import { ErrorCodeSchema } from './errors.ts';
import { RunIdSchema } from './ids.ts';
import { RunResultSchema } from './run-result.ts';

/** Client → host: the run (its request is parsed by `RunRequestSchema` once the digest matched). */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('run'), runId: RunIdSchema, request: z.unknown() }),
  z.strictObject({ type: z.literal('cancel'), runId: RunIdSchema }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type RunMessage = Extract<ClientMessage, { type: 'run' }>;
export type CancelMessage = Extract<ClientMessage, { type: 'cancel' }>;

const frame = { runId: z.string().nullable(), seq: z.number().int().nonnegative() };

/** Host → client: numbered frames; `exit` or `error` is the last. */
export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('accepted'), ...frame, queued: z.boolean() }),
  z.object({ type: z.literal('started'), ...frame, startedAt: z.string() }),
  z.object({ type: z.literal('stdout'), ...frame, data: z.string() }),
  z.object({ type: z.literal('stderr'), ...frame, data: z.string() }),
  z.object({ type: z.literal('exit'), ...frame, result: RunResultSchema }),
  z.object({ type: z.literal('error'), ...frame, code: ErrorCodeSchema, message: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;
export type HostMessageType = HostMessage['type'];

export function isClientMessage(value: unknown): value is ClientMessage {
  return ClientMessageSchema.safeParse(value).success;
}

export function isHostMessage(value: unknown): value is HostMessage {
  return HostMessageSchema.safeParse(value).success;
}

export function isFinalHostMessage(message: HostMessage): boolean {
  return message.type === 'exit' || message.type === 'error';
}
