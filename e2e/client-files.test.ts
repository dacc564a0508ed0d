/**
 * @airlock/client's files against the running stack (issues 15 and 17): a zipped two-file Python
 * project uploaded from a Uint8Array shows its manifest, runs by id with an `entry`, downloads as the
 * same bytes, is listed and deleted; Blob and ArrayBuffer bodies upload too; a task's program runs
 * beside an uploaded project; another user's file id is a 404 everywhere.
 */
import { randomUUID } from 'node:crypto';
import { AirlockClient, AirlockError, type TaskFrame } from '@airlock/client';
import { strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { freshProviderKey, programReply, scriptReplies } from './support/openai-server.ts';

const { edgeUrl, openaiControlUrl } = inject('system');

// The entry imports a sibling package: both files must arrive, with their directories.
const project = {
  'main.py': strToU8('from lib.greet import greet\nprint(greet("airlock"))\n'),
  'lib/greet.py': strToU8('def greet(name):\n    return f"hello, {name}"\n'),
};

let user: AirlockClient;
let client: AirlockClient;
let providerKey: string;

beforeAll(async () => {
  user = new AirlockClient({ baseUrl: edgeUrl });
  await user.register(`files-${randomUUID()}@example.test`, 'correct horse battery staple 42');
  providerKey = freshProviderKey();
  await user.putProviderKey('openai', providerKey);
  const key = await user.createKey({
    name: 'files',
    scopes: ['files:write', 'files:read', 'runs:write', 'runs:read', 'tasks:write', 'tasks:read'],
  });
  client = new AirlockClient({ baseUrl: edgeUrl, apiKey: key.key });
});

async function stranger(): Promise<AirlockClient> {
  const other = new AirlockClient({ baseUrl: edgeUrl });
  await other.register(`files-other-${randomUUID()}@example.test`, 'correct horse battery staple 42');
  return other;
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => err,
  );

describe('@airlock/client files', () => {
  it('uploadFile, getFile (manifest), run with fileIds + entry, downloadFile, listFiles, deleteFile', async () => {
    const zip = zipSync(project);
    const file = await client.uploadFile('proj.zip', zip);
    expect(file).toMatchObject({ name: 'proj.zip', kind: 'zip', size: zip.byteLength });

    const meta = await client.getFile(file.id);
    expect(meta.sha256).toBe(file.sha256);
    expect(meta.manifest).toMatchObject({ kind: 'zip', files: 2, renamed: [] });
    const paths = meta.manifest?.entries.filter((e) => e.type === 'file').map((e) => e.path);
    expect(paths?.sort()).toEqual(['lib/greet.py', 'main.py']);

    const run = await client.run({ language: 'python', fileIds: [file.id], entry: 'main.py' });
    expect(run).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: 'hello, airlock\n', stderr: '' });

    // start() takes the same request: the frames carry the project's output.
    const handle = await client.start({ language: 'python', fileIds: [file.id], entry: 'main.py' });
    const out: string[] = [];
    for await (const frame of handle) if (frame.type === 'stdout') out.push(frame.data);
    expect(out.join('')).toBe('hello, airlock\n');

    const downloaded = await client.downloadFile(file.id);
    expect(downloaded).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(downloaded).equals(Buffer.from(zip))).toBe(true);

    const page = await client.listFiles({ limit: 10 });
    expect(page.files.map((f) => f.id)).toContain(file.id);
    expect(page.usage.bytes).toBeGreaterThanOrEqual(zip.byteLength);

    await client.deleteFile(file.id);
    const gone = await rejection(client.getFile(file.id));
    expect(gone).toBeInstanceOf(AirlockError);
    expect(gone).toMatchObject({ status: 404, code: 'not_found' });
    expect((await client.listFiles()).files.map((f) => f.id)).not.toContain(file.id);
  });

  it('Blob and ArrayBuffer bodies upload the same bytes; a sanitised name says what it was', async () => {
    const text = 'a,b\n1,2\n';
    const fromBlob = await client.uploadFile('data set.csv', new Blob([text]));
    expect(fromBlob).toMatchObject({ name: 'data_set.csv', renamedFrom: 'data set.csv', kind: 'file' });
    expect(new TextDecoder().decode(await client.downloadFile(fromBlob.id))).toBe(text);

    const buffer = new TextEncoder().encode(text).buffer;
    const fromBuffer = await client.uploadFile('data.csv', buffer);
    expect(fromBuffer).toMatchObject({ size: buffer.byteLength, sha256: fromBlob.sha256 });
    // Inline code with the file mounted beside it.
    const run = await client.run({
      language: 'python',
      code: 'print(open("data.csv").read().splitlines()[1])',
      fileIds: [fromBuffer.id],
    });
    expect(run).toMatchObject({ status: 'succeeded', stdout: '1,2\n' });
  });

  it("an archive the edge refuses is an AirlockError with its reason; nothing's stored", async () => {
    const before = (await client.listFiles()).usage.bytes;
    const bad = await rejection(client.uploadFile('bad.zip', strToU8('not a zip at all')));
    expect(bad).toBeInstanceOf(AirlockError);
    expect(bad).toMatchObject({ status: 400, code: 'archive_rejected' });
    expect((bad as AirlockError).details.reason).toBe('corrupt');
    expect((await client.listFiles()).usage.bytes).toBe(before);
  });

  it('createTask with fileIds: the model’s program runs beside the uploaded project', async () => {
    // The library only: the program is the entry (main.py), so the project must not hold one.
    const file = await client.uploadFile('lib.zip', zipSync({ 'lib/greet.py': project['lib/greet.py'] }));
    await scriptReplies(
      openaiControlUrl,
      providerKey,
      programReply('from lib.greet import greet\nprint(greet("task"))'),
    );
    const handle = await client.createTask({
      prompt: 'greet the task',
      provider: 'openai',
      model: 'local-coder',
      language: 'python',
      maxAttempts: 1,
      fileIds: [file.id],
    });
    const frames: TaskFrame[] = [];
    for await (const frame of handle) frames.push(frame);
    expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });
    expect(frames.flatMap((f) => (f.type === 'stdout' ? [f.data] : [])).join('')).toBe('hello, task\n');
  });

  it("another user's file id is a 404 for every method and for runs", async () => {
    const file = await client.uploadFile('proj.zip', zipSync(project));
    const other = await stranger();
    for (const attempt of [
      () => other.getFile(file.id),
      () => other.downloadFile(file.id),
      () => other.deleteFile(file.id),
      () => other.run({ language: 'python', fileIds: [file.id], entry: 'main.py' }),
    ]) {
      const err = await rejection(attempt());
      expect(err).toBeInstanceOf(AirlockError);
      expect(err).toMatchObject({ status: 404 });
    }
    expect((await other.listFiles()).files).toEqual([]);
    // Still the owner's, untouched.
    expect((await client.getFile(file.id)).sha256).toBe(file.sha256);
  });
});
