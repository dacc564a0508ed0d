/**
 * @airlock/client: the Airlock API, typed.
 *
 *   const airlock = new AirlockClient({ baseUrl, apiKey });
 *   const run = await airlock.run({ language: 'python', code: 'print(1)' });
 *   for await (const frame of await airlock.start({ language: 'python', code })) …
 */
export { AirlockClient, type ClientOptions, type RunHandle } from './client.ts';
export { AirlockError, StreamError } from './errors.ts';
export { OPERATIONS, type OperationName, pathOf } from './operations.ts';
export type { WebSocketFactory } from './stream.ts';
export type * from './types.ts';
