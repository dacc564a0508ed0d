import { z } from 'zod';
import { CLOSE_CODES, type CloseCode } from './close-codes.ts';

export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'hash_mismatch',
  'capacity',
  'frame_too_large',
  'unsupported_language',
  'shutting_down',
  'internal',
] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** The close code that goes with each error code. */
export const ERROR_CLOSE_CODES: Record<ErrorCode, CloseCode> = {
  bad_request: CLOSE_CODES.badRequest,
  unauthorized: CLOSE_CODES.unauthorized,
  hash_mismatch: CLOSE_CODES.hashMismatch,
  capacity: CLOSE_CODES.capacity,
  frame_too_large: CLOSE_CODES.frameTooLarge,
  unsupported_language: CLOSE_CODES.badRequest,
  shutting_down: CLOSE_CODES.shuttingDown,
  internal: CLOSE_CODES.internal,
};
