/**
 * Client frames in, host frames out. Parsing is a pure function: the size is checked before anything
 * is decoded, so an oversized frame costs a length sum, not a JSON parse.
 */

import type { ClientMessage, HostMessage } from '@airlock/protocol';
import { ClientMessageSchema } from '@airlock/protocol';
import type { RawData } from 'ws';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A host frame before the connection stamps it with its run id and sequence number. */
export type Outgoing = DistributiveOmit<HostMessage, 'seq' | 'runId'>;

type ParsedFrame =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: 'frame_too_large' | 'bad_request'; message: string };

function frameBytes(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/** Size, then text, then JSON, then the message schema; the first failure is the answer. */
export function parseClientFrame(data: RawData, isBinary: boolean, maxFrameBytes: number): ParsedFrame {
  if (frameBytes(data) > maxFrameBytes) {
    return { ok: false, code: 'frame_too_large', message: `frames are limited to ${maxFrameBytes} bytes` };
  }
  if (isBinary) return { ok: false, code: 'bad_request', message: 'frames must be JSON text' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
  } catch {
    return { ok: false, code: 'bad_request', message: 'frame is not valid JSON' };
  }
  const parsed = ClientMessageSchema.safeParse(json);
  if (!parsed.success) return { ok: false, code: 'bad_request', message: 'unknown or malformed message' };
  return { ok: true, message: parsed.data };
}
