/**
 * Every API operation the client calls, as `[method, path]` with OpenAPI `{param}`s: the one place
 * the client names a path. e2e/client.test.ts checks each against the served GET /v1/openapi.json,
 * so the client cannot drift from the API.
 */
export const OPERATIONS = {
  register: ['POST', '/v1/auth/register'],
  login: ['POST', '/v1/auth/login'],
  refresh: ['POST', '/v1/auth/refresh'],
  logout: ['POST', '/v1/auth/logout'],
  me: ['GET', '/v1/me'],
  runtimes: ['GET', '/v1/runtimes'],
  createRun: ['POST', '/v1/runs'],
  listRuns: ['GET', '/v1/runs'],
  getRun: ['GET', '/v1/runs/{id}'],
  cancelRun: ['POST', '/v1/runs/{id}/cancel'],
  streamTicket: ['POST', '/v1/runs/{id}/stream-ticket'],
  runStream: ['GET', '/v1/runs/{id}/stream'],
  listProviderKeys: ['GET', '/v1/provider-keys'],
  putProviderKey: ['PUT', '/v1/provider-keys/{provider}'],
  deleteProviderKey: ['DELETE', '/v1/provider-keys/{provider}'],
  createTask: ['POST', '/v1/tasks'],
  listTasks: ['GET', '/v1/tasks'],
  getTask: ['GET', '/v1/tasks/{id}'],
  deleteTask: ['DELETE', '/v1/tasks/{id}'],
  taskStreamTicket: ['POST', '/v1/tasks/{id}/stream-ticket'],
  taskStream: ['GET', '/v1/tasks/{id}/stream'],
  uploadFile: ['POST', '/v1/files'],
  listFiles: ['GET', '/v1/files'],
  getFile: ['GET', '/v1/files/{id}'],
  downloadFile: ['GET', '/v1/files/{id}/content'],
  deleteFile: ['DELETE', '/v1/files/{id}'],
  listKeys: ['GET', '/v1/api-keys'],
  createKey: ['POST', '/v1/api-keys'],
  revokeKey: ['DELETE', '/v1/api-keys/{id}'],
} as const satisfies Record<string, readonly ['GET' | 'POST' | 'PUT' | 'DELETE', string]>;

export type OperationName = keyof typeof OPERATIONS;

/** The path of `op` with its `{param}`s filled in (each URI-encoded). */
export function pathOf(op: OperationName, params: Record<string, string> = {}): string {
  return OPERATIONS[op][1].replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${op}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
