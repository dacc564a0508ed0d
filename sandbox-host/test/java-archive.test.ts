/**
 * Java runs from an uploaded archive (issue 15), in real containers of the Java image: the archive's
 * `entry` follows the rule inline Java files follow (runner/entry.ts). It is moved to the name its
 * public class needs, in its own directory, every .java file of /work is compiled, and `java`
 * launches the class, package-qualified. Before, the entry was copied to Main.java, so only a public
 * class Main could run from an archive. The bytes travel as the edge sends them: binary frames after
 * the run frame, each mount checked against its SHA-256.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Mount } from '@airlock/protocol';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from './support.ts';
import { runOnHost, startTestHost } from './support.ts';

let h: TestHost;

beforeAll(async () => {
  h = await startTestHost({ POOL_SIZE: '0' });
});

afterAll(async () => {
  await h.close();
});

function zipMount(files: Record<string, string>): { mount: Mount; bytes: Buffer } {
  const bytes = Buffer.from(
    zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))),
  );
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { mount: { id: randomUUID(), name: 'project.zip', kind: 'zip', size: bytes.length, sha256 }, bytes };
}

function runArchive(files: Record<string, string>, entry: string) {
  const { mount, bytes } = zipMount(files);
  return runOnHost(
    h,
    { language: 'java', mounts: [mount], entry, limits: { timeoutMs: 15_000 } },
    { mounts: [bytes] },
  );
}

describe('java: an archive entry runs whatever its public class is called', { timeout: 90_000 }, () => {
  it('public class Hello in Hello.java, with a helper class in another file of the archive', async () => {
    const out = await runArchive(
      {
        'Hello.java':
          'public class Hello { public static void main(String[] a) { System.out.println(Util.twice("hi")); } }\n',
        'Util.java': 'class Util { static String twice(String s) { return s + s; } }\n',
      },
      'Hello.java',
    );
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({ status: 'succeeded', stdout: 'hihi\n', stderr: '' });
  });

  it('an entry in a package directory, named otherwise than its class, is moved next to it and launched qualified', async () => {
    const out = await runArchive(
      {
        'src/app/Start.java':
          'package app;\npublic class App { public static void main(String[] a) { System.out.println(Greeter.greet()); } }\n',
        'src/app/Greeter.java':
          'package app;\nclass Greeter { static String greet() { return "from app.App"; } }\n',
        'README.txt': 'not compiled',
      },
      'src/app/Start.java',
    );
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({ status: 'succeeded', stdout: 'from app.App\n', stderr: '' });
  });
});
