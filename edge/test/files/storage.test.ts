/**
 * /v1/files against real local R2 and D1 (issue 15): upload (raw and multipart), list, metadata,
 * download headers (OWASP ASVS 4.0 V12.5.1/V14.4: attachment, safe Content-Type, nosniff), delete,
 * the size limit and the organization's quota, API-key scopes, and another tenant's id (404).
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { authFetch, authHeaders, errorOf, jsonInit, TEST_PASSWORD } from '../helpers.ts';
import { addMember, createOrg, json, mintApiKey, type Tenant, tenant } from '../tenancy/fixtures.ts';
import { type FileBody, fileRequest, fileRowsOf, objectsOf, uploadForm, uploadRaw } from './support.ts';

let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  a = await tenant();
  b = await tenant();
});

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, '0')).join('');
}

describe('upload, read, download, delete', () => {
  it('a raw upload is stored under a generated key and read back with its metadata', async () => {
    const t = await tenant();
    const file = await json<FileBody>(await uploadRaw(t.token, 'data.csv', 'a,b\n1,2\n'), 201);
    expect(file).toMatchObject({
      name: 'data.csv',
      size: 8,
      kind: 'file',
      contentType: 'application/octet-stream',
    });
    expect(file.sha256).toBe(await sha256Hex('a,b\n1,2\n'));
    expect(file.manifest).toBeNull();
    // The object key is the organization and the id: the user's name is nowhere in it.
    expect(await objectsOf(t.personalOrgId)).toEqual([`orgs/${t.personalOrgId}/files/${file.id}`]);

    const read = await json<FileBody>(await fileRequest(t.token, `/v1/files/${file.id}`), 200);
    expect(read).toEqual(file);
    const list = await json<{ files: FileBody[]; usage: { bytes: number; quotaBytes: number } }>(
      await fileRequest(t.token, '/v1/files'),
      200,
    );
    expect(list.files.map((f) => f.id)).toEqual([file.id]);
    expect(list.files[0]).not.toHaveProperty('manifest');
    expect(list.usage).toEqual({ bytes: 8, quotaBytes: 100 * 1024 * 1024 });
  });

  it('a multipart upload (browsers) takes the name of its file part', async () => {
    const t = await tenant();
    const file = await json<FileBody>(await uploadForm(t.token, 'notes.txt', 'hello'), 201);
    expect(file).toMatchObject({ name: 'notes.txt', size: 5 });
    const res = await fileRequest(t.token, `/v1/files/${file.id}/content`);
    expect(await res.text()).toBe('hello');
  });

  it('downloads are attachments with a safe Content-Type and nosniff, whatever the name says', async () => {
    const t = await tenant();
    const html = '<script>alert(document.cookie)</script>';
    const file = await json<FileBody>(await uploadRaw(t.token, 'page.html', html), 201);
    const res = await fileRequest(t.token, `/v1/files/${file.id}/content`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="page.html"');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(await res.text()).toBe(html);
  });

  it('names are labels: sanitised, never a path or a header injection', async () => {
    const t = await tenant();
    const evil = '../../etc/"passwd\r\nSet-Cookie: x=1;.txt';
    const file = await json<FileBody>(await uploadRaw(t.token, evil, 'x'), 201);
    expect(file.name).toBe('_passwd__Set-Cookie__x_1_.txt');
    expect(file.renamedFrom).toBe(evil);
    const res = await fileRequest(t.token, `/v1/files/${file.id}/content`);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${file.name}"`);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('a raw upload needs a name', async () => {
    const res = await uploadRaw(a.token, undefined, 'x');
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('validation_failed');
  });

  it('delete removes the row and the object', async () => {
    const t = await tenant();
    const file = await json<FileBody>(await uploadRaw(t.token, 'gone.txt', 'bye'), 201);
    expect((await fileRequest(t.token, `/v1/files/${file.id}`, 'DELETE')).status).toBe(204);
    expect(await objectsOf(t.personalOrgId)).toEqual([]);
    expect(await fileRowsOf(t.personalOrgId)).toEqual([]);
    expect((await fileRequest(t.token, `/v1/files/${file.id}`)).status).toBe(404);
    expect((await fileRequest(t.token, `/v1/files/${file.id}/content`)).status).toBe(404);
    expect((await fileRequest(t.token, `/v1/files/${file.id}`, 'DELETE')).status).toBe(404);
  });
});

describe('limits', () => {
  it('a file over FILE_MAX_BYTES is refused (413) and nothing is stored', async () => {
    const t = await tenant();
    const res = await uploadRaw(t.token, 'big.bin', new Uint8Array(2001), {
      FILE_MAX_BYTES: '2000',
    } as Partial<Env>);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
    expect(await objectsOf(t.personalOrgId)).toEqual([]);
    expect(await fileRowsOf(t.personalOrgId)).toEqual([]);
    const fits = await uploadRaw(t.token, 'ok.bin', new Uint8Array(2000), {
      FILE_MAX_BYTES: '2000',
    } as Partial<Env>);
    expect(fits.status).toBe(201);
  });

  it("the organization's quota counts every member's files; over it, 409 and nothing stored", async () => {
    const owner = await tenant();
    const member = await tenant();
    const team = await createOrg(owner, 'Files team');
    await addMember(owner, team, member);
    const quota = { ORG_FILE_QUOTA_BYTES: '1000' } as Partial<Env>;
    expect(
      (await uploadRaw({ token: owner.token, orgId: team }, 'a.bin', new Uint8Array(600), quota)).status,
    ).toBe(201);
    const over = await uploadRaw({ token: member.token, orgId: team }, 'b.bin', new Uint8Array(401), quota);
    expect(over.status).toBe(409);
    const error = await errorOf(over);
    expect(error.code).toBe('file_quota_exceeded');
    expect(await objectsOf(team)).toHaveLength(1);
    expect(await fileRowsOf(team)).toHaveLength(1);
    // Exactly at the quota is allowed; the member's personal organization has its own.
    expect(
      (await uploadRaw({ token: member.token, orgId: team }, 'c.bin', new Uint8Array(400), quota)).status,
    ).toBe(201);
    expect((await uploadRaw(member.token, 'd.bin', new Uint8Array(900), quota)).status).toBe(201);
  });

  it('concurrent uploads cannot together pass the quota', async () => {
    const t = await tenant();
    const quota = { ORG_FILE_QUOTA_BYTES: '1000' } as Partial<Env>;
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => uploadRaw(t.token, `p${i}.bin`, new Uint8Array(400), quota)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409, 409]);
    expect(await objectsOf(t.personalOrgId)).toHaveLength(2);
  });
});

describe('tenancy and scopes', () => {
  let fileOfA: FileBody;
  beforeAll(async () => {
    fileOfA = await json<FileBody>(await uploadRaw(a.token, 'secret.txt', 'A-SECRET-FILE'), 201);
  });

  it("another tenant's file id is a 404 on every route, and nothing of A changes", async () => {
    const before = JSON.stringify([await fileRowsOf(a.personalOrgId), await objectsOf(a.personalOrgId)]);
    for (const [method, path] of [
      ['GET', `/v1/files/${fileOfA.id}`],
      ['GET', `/v1/files/${fileOfA.id}/content`],
      ['DELETE', `/v1/files/${fileOfA.id}`],
    ] as const) {
      const res = await fileRequest(b.token, path, method);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.text()).not.toContain('A-SECRET');
    }
    const list = await json<{ files: FileBody[] }>(await fileRequest(b.token, '/v1/files'), 200);
    expect(list.files).toEqual([]);
    // Naming A's organization is refused before any file is looked at.
    const named = await fileRequest({ token: b.token, orgId: a.personalOrgId }, `/v1/files/${fileOfA.id}`);
    expect(named.status).toBe(404);
    expect(JSON.stringify([await fileRowsOf(a.personalOrgId), await objectsOf(a.personalOrgId)])).toBe(
      before,
    );
  });

  it('a file of another organization of the same user is not found from this one', async () => {
    const team = await createOrg(a, 'Other');
    expect((await fileRequest({ token: a.token, orgId: team }, `/v1/files/${fileOfA.id}`)).status).toBe(404);
  });

  it('API keys need files:read and files:write', async () => {
    const runsOnly = await mintApiKey(a);
    const readOnly = await mintApiKey(a, { scopes: ['files:read'] });
    const res = await fileRequest(runsOnly.key, `/v1/files/${fileOfA.id}`);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('insufficient_scope');
    expect((await fileRequest(readOnly.key, `/v1/files/${fileOfA.id}`)).status).toBe(200);
    expect((await uploadRaw(readOnly.key, 'x.txt', 'x')).status).toBe(403);
    expect((await fileRequest(readOnly.key, `/v1/files/${fileOfA.id}`, 'DELETE')).status).toBe(403);
    const writer = await mintApiKey(a, { scopes: ['files:write'] });
    expect((await uploadRaw(writer.key, 'x.txt', 'x')).status).toBe(201);
  });

  it('malformed ids are simply not found', async () => {
    expect((await fileRequest(a.token, '/v1/files/not-a-uuid')).status).toBe(404);
    expect((await fileRequest(a.token, "/v1/files/1' OR '1'='1")).status).toBe(404);
  });

  it('every route needs authentication', async () => {
    const res = await env.DB.prepare('SELECT count(*) AS n FROM files').first<{ n: number }>();
    expect(res?.n).toBeGreaterThan(0);
    for (const [method, path] of [
      ['POST', '/v1/files?name=x'],
      ['GET', '/v1/files'],
      ['GET', `/v1/files/${fileOfA.id}`],
      ['GET', `/v1/files/${fileOfA.id}/content`],
      ['DELETE', `/v1/files/${fileOfA.id}`],
    ] as const) {
      expect((await fileRequest('', path, method)).status, `${method} ${path}`).toBe(401);
    }
  });

  it("deleting the account deletes its files' objects: its own and those of organizations deleted with it", async () => {
    const leaving = await tenant();
    const staying = await tenant();
    const shared = await createOrg(leaving, 'Shared');
    await addMember(leaving, shared, staying, 'admin');
    const solo = await createOrg(leaving, 'Solo');
    await json<FileBody>(await uploadRaw(leaving.token, 'mine.txt', 'personal'), 201);
    await json<FileBody>(await uploadRaw({ token: leaving.token, orgId: solo }, 'solo.txt', 'solo'), 201);
    await json<FileBody>(
      await uploadRaw({ token: leaving.token, orgId: shared }, 'theirs.txt', 'shared'),
      201,
    );
    const kept = await json<FileBody>(
      await uploadRaw({ token: staying.token, orgId: shared }, 'kept.txt', 'k'),
      201,
    );

    const del = await authFetch(
      '/v1/me',
      jsonInit('DELETE', { password: TEST_PASSWORD }, authHeaders(leaving.token)),
    );
    expect(del.status).toBe(204);
    expect(await objectsOf(leaving.personalOrgId)).toEqual([]);
    expect(await objectsOf(solo)).toEqual([]);
    // The shared organization lives on with its other member's file only.
    expect(await objectsOf(shared)).toEqual([`orgs/${shared}/files/${kept.id}`]);
  });
});
