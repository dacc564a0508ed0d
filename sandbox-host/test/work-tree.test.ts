/**
 * The host's own checks of mounted files (issue 15): it never trusts the edge's manifest. Archives
 * are read again with the shared reader, so a traversal, a link or an oversize archive is refused
 * here even if it had got past the edge; two files for one path are refused; the total must fit
 * /work; an entry runs as the runtime's file name. Pure: no engine, no disk.
 */
import { createHash } from 'node:crypto';
import type { Mount, RunRequest } from '@airlock/protocol';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { java } from '../src/images/manifests/java.ts';
import { python } from '../src/images/manifests/python.ts';
import { planRun } from '../src/runner/entry.ts';
import { buildWorkTree } from '../src/runner/work-tree.ts';

const MIB = 1024 * 1024;

function mount(name: string, kind: Mount['kind'], bytes: Uint8Array): [Mount, Buffer] {
  const buffer = Buffer.from(bytes);
  const sha256 = createHash('sha256').update(buffer).digest('hex');
  return [{ id: crypto.randomUUID(), name, kind, size: buffer.length, sha256 }, buffer];
}

function tree(request: Omit<RunRequest, 'language'>, mounts: [Mount, Buffer][], workBytes = 64 * MIB) {
  return buildWorkTree(
    { language: 'python', ...request, mounts: mounts.map(([m]) => m) },
    python,
    mounts.map(([, b]) => b),
    workBytes,
  );
}

describe('buildWorkTree', () => {
  it('unpacks an archive and runs the entry as the runtime file', () => {
    const zip = zipSync({ 'app.py': strToU8('import pkg.m'), 'pkg/m.py': strToU8('x = 1') });
    const result = tree({ entry: 'app.py' }, [mount('p.zip', 'zip', zip)]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const files = Object.fromEntries(
      result.entries.filter((e) => e.type === 'file').map((e) => [e.path, e.content.toString()]),
    );
    expect(files).toEqual({ 'app.py': 'import pkg.m', 'pkg/m.py': 'x = 1', 'main.py': 'import pkg.m' });
  });

  it('refuses what the reader refuses, whatever the edge said', () => {
    const evil = zipSync({ '../../etc/cron.d/x': strToU8('x') });
    const result = tree({ entry: 'x' }, [mount('e.zip', 'zip', evil)]);
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.message).toContain('..');
  });

  it('refuses two files for one path (inline code and an archive, or two mounts)', () => {
    const zip = zipSync({ 'main.py': strToU8('print(2)') });
    expect(tree({ code: 'print(1)' }, [mount('p.zip', 'zip', zip)])).toMatchObject({ ok: false });
    expect(
      tree({ entry: 'a.txt' }, [
        mount('a.txt', 'file', strToU8('1')),
        mount('b.zip', 'zip', zipSync({ 'a.txt': strToU8('2') })),
      ]),
    ).toMatchObject({ ok: false });
  });

  it('refuses files that do not fit /work (tmpfs pages counted)', () => {
    const zip = zipSync(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, strToU8('x')])));
    expect(tree({ code: 'print(1)' }, [mount('m.zip', 'zip', zip)], MIB)).toMatchObject({ ok: false });
    expect(tree({ code: 'print(1)' }, [mount('m.zip', 'zip', zip)], 2 * MIB)).toMatchObject({ ok: true });
  });

  it('a Java entry moves to the name its public class needs, in its own directory, and comes first', () => {
    const zip = zipSync({
      'src/app/Start.java': strToU8('package app; public class App {}'),
      'src/app/App2.java': strToU8('package app; class App2 {}'),
    });
    const [m, b] = mount('p.zip', 'zip', zip);
    const result = buildWorkTree(
      { language: 'java', entry: 'src/app/Start.java', mounts: [m] },
      java,
      [b],
      64 * MIB,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const files = result.entries.filter((e) => e.type === 'file').map((e) => e.path);
    expect(files).toEqual(['src/app/App.java', 'src/app/App2.java']);
    expect(
      planRun(java, { language: 'java', entry: 'src/app/Start.java', mounts: [m] }, result.entries),
    ).toMatchObject({
      compile: [...(java.compile ?? []).slice(0, -1), 'src/app/App.java', 'src/app/App2.java'],
      run: [...java.run.slice(0, -1), 'app.App'],
    });
  });

  it('a Java entry keeps its name when the name its class needs is taken (javac reports the clash)', () => {
    const zip = zipSync({ 'Main.java': strToU8('public class Util {}'), 'Util.java': strToU8('class X {}') });
    const [m, b] = mount('p.zip', 'zip', zip);
    const result = buildWorkTree({ language: 'java', entry: 'Main.java', mounts: [m] }, java, [b], 64 * MIB);
    expect(result.ok && result.entries.map((e) => e.path)).toEqual(['Main.java', 'Util.java']);
  });

  it('refuses an entry that is not among the files', () => {
    expect(tree({ entry: 'nope.py' }, [mount('d.txt', 'file', strToU8('x'))])).toMatchObject({ ok: false });
  });
});
