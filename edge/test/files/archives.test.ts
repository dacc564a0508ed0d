/**
 * Archive inspection at upload, in workerd (issue 15): a zip, tar or tar.gz gets its manifest; a
 * hostile one is refused with 400 `archive_rejected` and its reason, and nothing is stored (no R2
 * object, no row). The reader's full adversarial suite is protocol/test/archive/reader.test.ts;
 * here each kind of refusal is shown end to end through the Worker.
 */
import { gzipSync, strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../helpers.ts';
import { json, type Tenant, tenant } from '../tenancy/fixtures.ts';
import { type FileBody, fileRequest, fileRowsOf, objectsOf, tar, uploadRaw } from './support.ts';

let t: Tenant;
beforeAll(async () => {
  t = await tenant();
});

async function expectRejected(name: string, bytes: Uint8Array, reason: string): Promise<void> {
  const objectsBefore = await objectsOf(t.personalOrgId);
  const rowsBefore = await fileRowsOf(t.personalOrgId);
  const res = await uploadRaw(t.token, name, bytes);
  expect(res.status, name).toBe(400);
  const error = (await errorOf(res)) as { code: string; message: string; reason?: string };
  expect(error.code).toBe('archive_rejected');
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(/^The archive was rejected: /);
  expect(await objectsOf(t.personalOrgId)).toEqual(objectsBefore);
  expect(await fileRowsOf(t.personalOrgId)).toEqual(rowsBefore);
}

describe('manifests', () => {
  it('a zip gets its manifest: entries, sizes, types', async () => {
    const bytes = zipSync({
      'main.py': strToU8('import pkg.m\n'),
      'pkg/': new Uint8Array(0),
      'pkg/m.py': strToU8('x = 1\n'),
    });
    const file = await json<FileBody>(await uploadRaw(t.token, 'proj.zip', bytes), 201);
    expect(file).toMatchObject({ kind: 'zip', contentType: 'application/zip' });
    expect(file.manifest).toEqual({
      kind: 'zip',
      entries: [
        { path: 'main.py', type: 'file', size: 13 },
        { path: 'pkg', type: 'dir', size: 0 },
        { path: 'pkg/m.py', type: 'file', size: 6 },
      ],
      files: 2,
      totalBytes: 19,
      renamed: [],
    });
    expect((await json<FileBody>(await fileRequest(t.token, `/v1/files/${file.id}`), 200)).manifest).toEqual(
      file.manifest,
    );
  });

  it('tar and tar.gz too, with sanitised names and their mapping', async () => {
    const bytes = tar([
      { name: 'src/', type: '5' },
      { name: 'src/naïve name.py', data: 'print(1)' },
    ]);
    for (const [name, body] of [
      ['p.tar', bytes],
      ['p.tar.gz', gzipSync(bytes)],
    ] as const) {
      const file = await json<FileBody>(await uploadRaw(t.token, name, body), 201);
      expect(file.manifest?.entries.map((e) => e.path)).toEqual(['src', 'src/na_ve_name.py']);
      expect(file.manifest?.renamed).toEqual([{ from: 'src/naïve name.py', to: 'src/na_ve_name.py' }]);
    }
  });
});

describe('rejections store nothing', () => {
  it('path traversal, absolute paths, drive letters and backslashes', async () => {
    for (const name of ['../evil.py', 'a/../../evil.py', '/etc/cron.d/x', 'C:/evil.py', '..\\evil.py']) {
      await expectRejected('t.zip', zipSync({ [name]: strToU8('x') }), 'unsafe_path');
      await expectRejected('t.tar', tar([{ name, data: 'x' }]), 'unsafe_path');
    }
  });

  it('symbolic and hard links, devices', async () => {
    await expectRejected('l.tar', tar([{ name: 'l', type: '2' }]), 'link');
    await expectRejected('h.tar.gz', gzipSync(tar([{ name: 'a' }, { name: 'h', type: '1' }])), 'link');
    await expectRejected('d.tar', tar([{ name: 'null', type: '3' }]), 'special_file');
  });

  it('a zip bomb, duplicates, truncation', async () => {
    const bomb = zipSync({ 'zeros.bin': new Uint8Array(8 * 1024 * 1024) }, { level: 9 });
    await expectRejected('bomb.zip', bomb, 'compression_ratio');
    await expectRejected('dup.tar', tar([{ name: 'a.py' }, { name: './a.py' }]), 'duplicate_path');
    const good = zipSync({ 'a.py': strToU8('print(1)\n'.repeat(50)) });
    await expectRejected('cut.zip', good.subarray(0, good.length - 10), 'corrupt');
    await expectRejected('not.tgz', strToU8('this is not gzip'), 'corrupt');
  });

  it('the entry limit is configuration', async () => {
    const bytes = zipSync({ a: strToU8('1'), b: strToU8('2'), c: strToU8('3') });
    const res = await uploadRaw(t.token, 'three.zip', bytes, { ARCHIVE_MAX_ENTRIES: '2' } as Partial<Env>);
    expect(res.status).toBe(400);
    expect(((await errorOf(res)) as { reason?: string }).reason).toBe('too_many_entries');
  });
});
