/** File-test helpers: uploads as raw bytes or multipart, through a fresh app with env overrides. */
import { env } from 'cloudflare:test';
import { strToU8 } from 'fflate';
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

/** A ustar archive of regular files and directories, written out in the test. */
export function tar(entries: { name: string; data?: string; type?: string }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const data = strToU8(e.data ?? '');
    const h = new Uint8Array(512);
    const put = (s: string, at: number) => h.set(strToU8(s), at);
    put(e.name, 0);
    put('0000644\0', 100);
    put(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    put('00000000000\0', 136);
    put(e.type ?? '0', 156);
    put('ustar\0' + '00', 257);
    h.fill(0x20, 148, 156);
    put(
      `${h
        .reduce((n, x) => n + x, 0)
        .toString(8)
        .padStart(6, '0')}\0 `,
      148,
    );
    blocks.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of blocks) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}
