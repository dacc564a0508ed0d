/** Application close codes (RFC 6455 reserves 4000–4999 for applications). */
export const CLOSE_CODES = {
  normal: 1000,
  badRequest: 4000,
  unauthorized: 4001,
  hashMismatch: 4002,
  capacity: 4003,
  idleTimeout: 4004,
  frameTooLarge: 4005,
  shuttingDown: 4006,
  internal: 4500,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];
