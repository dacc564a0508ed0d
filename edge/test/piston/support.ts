/** Piston test helpers (inside workerd): API keys, and Piston requests through the real Worker. */

import type { PistonExecuteResult } from '../../src/domain/piston/response.ts';
import { jsonInit, type RegisteredUser } from '../helpers.ts';
import { bearer, worker } from '../runs/support.ts';

export { registerUser, worker } from '../runs/support.ts';

/** A fresh API key of `user` with `scopes` (POST /v1/api-keys with the user's session). */
export async function mintKey(
  user: RegisteredUser,
  scopes: string[] = ['runs:write', 'runs:read'],
): Promise<string> {
  const res = await worker(
    '/v1/api-keys',
    jsonInit('POST', { name: scopes.join(' '), scopes }, bearer(user)),
  );
  if (res.status !== 201) throw new Error(`mint key: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** POST <path> with a JSON body as piston-client sends it (text/plain) and the given Authorization. */
export function execute(path: string, authorization: string | undefined, body: unknown): Promise<Response> {
  return worker(path, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain;charset=UTF-8',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The answer's shape is the route's own (domain/piston/response.ts); tests check its fields' values. */
export type PistonAnswer = PistonExecuteResult;

/** Executes and expects 200: the answer. */
export async function executeOk(key: string, body: Record<string, unknown>, path = '/api/v2/execute') {
  const res = await execute(path, key, body);
  if (res.status !== 200) throw new Error(`execute: ${res.status} ${await res.text()}`);
  return (await res.json()) as PistonAnswer;
}
