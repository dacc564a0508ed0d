/** File-test helpers: uploads as raw bytes or multipart, through a fresh app with env overrides. */
import { env } from 'cloudflare:test';
import { authFetch, authHeaders } from '../helpers.ts';
import type { Caller } from '../tenancy/fixtures.ts';

export interface FileBody {
  id: string;
  name: string;
  size: number;
  kind: string;
  contentType: string;
  sha256: string;
  manifest?: {
    kind: string;
    entries: { path: string; type: string; size: number }[];
    files: number;
    totalBytes: number;
    renamed: { from: string; to: string }[];
  } | null;
  renamedFrom?: string;
  createdAt: string;
}

function headersOf(caller: Caller | string, extra: Record<string, string> = {}): Record<string, string> {
  const c = typeof caller === 'string' ? { token: caller } : caller;
  return { ...authHeaders(c.token), ...(c.orgId ? { 'X-Org-Id': c.orgId } : {}), ...extra };
}

export function uploadRaw(
  caller: Caller | string,
  name: string | undefined,
  bytes: Uint8Array | string,
  overrides: Partial<Env> = {},
): Promise<Response> {
  const query = name === undefined ? '' : `?name=${encodeURIComponent(name)}`;
  return authFetch(
    `/v1/files${query}`,
    {
      method: 'POST',
      headers: headersOf(caller, { 'content-type': 'application/octet-stream' }),
      body: bytes,
    },
    overrides,
  );
}

export function uploadForm(
  caller: Caller | string,
  name: string,
  bytes: Uint8Array | string,
): Promise<Response> {
  const form = new FormData();
  form.set('file', new File([bytes], name));
  return authFetch('/v1/files', { method: 'POST', headers: headersOf(caller), body: form });
}

export function fileRequest(caller: Caller | string, path: string, method = 'GET'): Promise<Response> {
  return authFetch(path, { method, headers: headersOf(caller) });
}

/** Every R2 object under the organization's prefix. */
export async function objectsOf(orgId: string): Promise<string[]> {
  const listed = await env.FILES.list({ prefix: `orgs/${orgId}/` });
  return listed.objects.map((o) => o.key);
}

export async function fileRowsOf(orgId: string): Promise<unknown[]> {
  return (await env.DB.prepare('SELECT * FROM files WHERE org_id = ?').bind(orgId).all()).results;
}
