/**
 * @airlock/client: the Airlock API, typed.
 *
 *   const airlock = new AirlockClient({ baseUrl, apiKey });
 *   const run = await airlock.run({ language: 'python', code: 'print(1)' });
 *   for await (const frame of await airlock.start({ language: 'python', code })) …
 *   const file = await airlock.uploadFile('proj.zip', bytes);
 *   await airlock.run({ language: 'python', fileIds: [file.id], entry: 'app/main.py' });
 *   for await (const frame of await airlock.createTask({ prompt, provider, model, language })) …
 */
export {
  AirlockClient,
  type ClientOptions,
  type FileBytes,
  type RunHandle,
  type StreamHandle,
  type TaskHandle,
} from './client.ts';
export { AirlockError, StreamError } from './errors.ts';
export { OPERATIONS, type OperationName, pathOf } from './operations.ts';
export type { Sequenced, WebSocketFactory } from './stream.ts';
export type * from './types.ts';
