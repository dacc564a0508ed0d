/**
 * Tasks with the user's project (issues 13 and 15): inline `files` and uploaded `fileIds`. The model
 * is shown the inline files and the uploaded paths; each attempt's run gets them beside the program,
 * which is the entry. Against the local provider server and a real sandbox host, with real local R2.
 */
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { type FileBody, uploadRaw } from '../files/support.ts';
import { errorOf } from '../helpers.ts';
import { freshKey, programReply, received, script } from './providers-script.ts';
import { ofType, postTask, registerUser, startTask, storeKey, watchToEnd } from './support.ts';

const base = { provider: 'openai', model: 'gpt-local', language: 'python' } as const;

async function upload(token: string, name: string, bytes: Uint8Array): Promise<FileBody> {
  const res = await uploadRaw(token, name, bytes);
  expect(res.status).toBe(201);
  return (await res.json()) as FileBody;
}

describe('tasks with files', { timeout: 60_000 }, () => {
  it("runs the model's program beside inline and uploaded files, and shows them to the model", async () => {
    const user = await registerUser();
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    const archive = await upload(
      user.accessToken,
      'data.zip',
      zipSync({ 'data/names.txt': strToU8('ada\ngrace\n') }),
    );
    await script(
      key,
      programReply('from helper import shout\nprint(shout(open("data/names.txt").read().split()))'),
    );

    const accepted = await startTask(user, {
      ...base,
      prompt: 'Shout every name.',
      files: [
        { name: 'helper.py', content: 'def shout(names):\n    return ",".join(n.upper() for n in names)\n' },
      ],
      fileIds: [archive.id],
    });
    const frames = await watchToEnd(accepted.streamUrl);
    expect(ofType(frames, 'exit')[0]?.result).toMatchObject({ status: 'succeeded', stdout: 'ADA,GRACE\n' });
    expect(frames.at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });

    // The model saw the user's prompt, the inline file's content and the uploaded paths.
    const [call] = await received(key);
    const body = call?.body as { messages: { role: string; content: string }[] } | undefined;
    const messages = body?.messages ?? [];
    const prompt = messages.at(-1)?.content ?? '';
    expect(prompt.startsWith('Shout every name.')).toBe(true);
    expect(prompt).toContain('def shout(names):');
    expect(prompt).toContain('- data/names.txt');
  });

  it("refuses another tenant's file id (404) and a file named like the program (400), before any model call", async () => {
    const owner = await registerUser();
    const other = await registerUser();
    const key = freshKey('openai');
    await storeKey(other, 'openai', key);
    const theirs = await upload(owner.accessToken, 'secret.zip', zipSync({ 's.txt': strToU8('s') }));

    const foreign = await postTask(other, { ...base, prompt: 'x', fileIds: [theirs.id] });
    expect(foreign.status).toBe(404);
    const clash = await postTask(other, { ...base, prompt: 'x', files: [{ name: 'main.py', content: '' }] });
    expect(clash.status).toBe(400);
    expect((await errorOf(clash)).fields).toMatchObject([{ field: 'files' }]);
    expect(await received(key)).toEqual([]);
  });
});
