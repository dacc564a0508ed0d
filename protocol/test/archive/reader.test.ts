/**
 * The archive reader against hostile archives (OWASP ASVS 4.0 V12.2 file integrity, V12.3 file
 * execution: "user-submitted filename metadata is not used directly"; CWE-22 path traversal,
 * CWE-409 decompression bombs). Every archive is built in the test, byte by byte. A rejected
 * archive yields a reason and a message; paths handed out are always relative and inside `/work`.
 */
import { gzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { type ArchiveKind, type ArchiveLimits, archiveKindOf, readArchive } from '../../src/archive/index.ts';
import { paxRecord, tar, tarHeader, zip } from './build.ts';

const LIMITS: ArchiveLimits = {
  maxEntries: 10_000,
  maxTotalBytes: 100 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
  maxPathDepth: 32,
  maxPathLength: 255,
};

/** Reads and also collects what the reader hands out, checking each path is a safe relative one. */
function read(kind: ArchiveKind, bytes: Uint8Array, limits: ArchiveLimits = LIMITS) {
  const files = new Map<string, string>();
  const result = readArchive(kind, bytes, limits, (path, content) => {
    expect(path).toMatch(/^[A-Za-z0-9._+-]+(\/[A-Za-z0-9._+-]+)*$/);
    expect(path.split('/')).not.toContain('..');
    files.set(path, new TextDecoder().decode(content));
  });
  return { result, files };
}

function rejected(kind: ArchiveKind, bytes: Uint8Array, limits: ArchiveLimits = LIMITS) {
  const { result } = read(kind, bytes, limits);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.manifest.entries)}`);
  expect(result.message.length).toBeGreaterThan(0);
  return result.reason;
}

const tgz = (bytes: Uint8Array) => gzipSync(bytes);

describe('well-formed archives', () => {
  it('a zip (from another writer, fflate) gives its manifest and contents', () => {
    const bytes = zipSync({
      'main.py': new TextEncoder().encode('print(1)\n'),
      'pkg/': new Uint8Array(0),
      'pkg/m.py': new TextEncoder().encode('x = 2\n'),
    });
    const { result, files } = read('zip', bytes);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.manifest.entries).toEqual([
      { path: 'main.py', type: 'file', size: 9 },
      { path: 'pkg', type: 'dir', size: 0 },
      { path: 'pkg/m.py', type: 'file', size: 6 },
    ]);
    expect(result.manifest).toMatchObject({ kind: 'zip', files: 2, totalBytes: 15, renamed: [] });
    expect(files.get('pkg/m.py')).toBe('x = 2\n');
  });

  it('tar and tar.gz, with ./ prefixes, ustar prefixes, GNU long names and pax paths', () => {
    const long = `${'d'.repeat(90)}/${'e'.repeat(90)}/f.txt`;
    const bytes = tar([
      { name: './', type: '5' },
      { name: './src/', type: '5' },
      { name: './src/a.txt', data: 'A' },
      { name: 'b.txt', prefix: 'src', data: 'B' },
      { name: '././@LongLink', type: 'L', data: `${long}\0` },
      { name: 'short', data: 'L' },
      { name: 'PaxHeader', type: 'x', data: paxRecord('path', 'pax/ü.txt') },
      { name: 'ignored', data: 'P' },
    ]);
    for (const [kind, input] of [
      ['tar', bytes],
      ['tar.gz', tgz(bytes)],
    ] as const) {
      const { result, files } = read(kind, input);
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (!result.ok) continue;
      expect([...files.keys()]).toEqual(['src/a.txt', 'src/b.txt', long, 'pax/_.txt']);
      expect(result.manifest.renamed).toEqual([{ from: 'pax/ü.txt', to: 'pax/_.txt' }]);
      expect(files.get(long)).toBe('L');
    }
  });

  it('the kind comes from the name', () => {
    expect(archiveKindOf('p.ZIP')).toBe('zip');
    expect(archiveKindOf('p.tar')).toBe('tar');
    expect(archiveKindOf('p.tar.gz')).toBe('tar.gz');
    expect(archiveKindOf('p.tgz')).toBe('tar.gz');
    expect(archiveKindOf('p.py')).toBeUndefined();
  });
});

describe('bombs', () => {
  const zeros = new Uint8Array(30 * 1024 * 1024);

  it('a high-ratio zip is refused by its ratio, and stops before unpacking it all', () => {
    const bytes = zip([{ name: 'zeros.bin', data: zeros }]);
    let handedOut = 0;
    const result = readArchive('zip', bytes, LIMITS, () => {
      handedOut += 1;
    });
    expect(result).toMatchObject({ ok: false, reason: 'compression_ratio' });
    expect(handedOut).toBe(0);
  });

  it('past the total size even when the ratio is allowed', () => {
    const limits = { ...LIMITS, maxRatio: 1e9, maxTotalBytes: 8 * 1024 * 1024 };
    expect(rejected('zip', zip([{ name: 'zeros.bin', data: zeros }]), limits)).toBe('too_large');
  });

  it('an entry that unpacks past its declared size is refused at that size', () => {
    const bytes = zip([{ name: 'liar.bin', data: zeros, declaredSize: 10 }]);
    expect(rejected('zip', bytes, { ...LIMITS, maxRatio: 1e9 })).toBe('corrupt');
  });

  it('a tar.gz bomb is refused by its ratio', () => {
    const bytes = tgz(tar([{ name: 'zeros.bin', data: zeros }]));
    expect(rejected('tar.gz', bytes)).toBe('compression_ratio');
  });

  it('a nested bomb (zip in a zip) is one opaque file: the inner archive is never unpacked', () => {
    const inner = zip([{ name: 'zeros.bin', data: zeros }]);
    const outer = zip([{ name: 'inner.zip', data: inner, deflate: false }]);
    const { result, files } = read('zip', outer);
    expect(result).toMatchObject({ ok: true, manifest: { totalBytes: inner.length, files: 1 } });
    expect([...files.keys()]).toEqual(['inner.zip']);
  });

  it('a non-recursive bomb (entries sharing one compressed stream) is refused', () => {
    const bytes = zip(
      Array.from({ length: 50 }, () => ({ name: 'same.bin', data: 'x'.repeat(1000) })),
      { sameLocal: true },
    );
    expect(rejected('zip', bytes)).toBe('corrupt');
  });
});

describe('entry counts', () => {
  it('a zip declaring 100,000 entries is refused before any is read', () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => ({ name: `f${i}`, deflate: false }));
    expect(rejected('zip', zip(entries))).toBe('too_many_entries');
  }, 60_000);

  it('a tar.gz of 100,000 entries is refused at the limit', () => {
    // One header per entry, names f000000…f099999: the checksum moves with the name's digits.
    const template = tarHeader({ name: 'f000000' }, 0);
    const base = template.reduce((n, b, i) => n + (i >= 148 && i < 156 ? 0x20 : b), 0);
    const parts = new Uint8Array(512 * 100_000 + 1024);
    for (let i = 0; i < 100_000; i++) {
      const h = parts.subarray(i * 512, i * 512 + 512);
      h.set(template);
      const digits = String(i).padStart(6, '0');
      let sum = base;
      for (let d = 0; d < 6; d++) {
        h[1 + d] = digits.charCodeAt(d);
        sum += digits.charCodeAt(d) - 0x30;
      }
      h.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    }
    expect(rejected('tar.gz', gzipSync(parts, { level: 1 }))).toBe('too_many_entries');
  }, 60_000);

  it('an endless run of pax headers is refused too', () => {
    const pax = tar(
      Array.from({ length: 40 }, () => ({ name: 'p', type: 'g', data: paxRecord('comment', 'x') })),
    );
    expect(rejected('tar', pax, { ...LIMITS, maxEntries: 10 })).toBe('too_many_entries');
  });
});

describe('paths', () => {
  const traversals = [
    '../evil.txt',
    '..',
    'a/../../evil.txt',
    'a/b/../../../evil.txt',
    './../evil.txt',
    'a/./../../evil.txt',
    'a/..',
    'a//..//../evil.txt',
  ];
  const absolute = ['/etc/passwd', '//server/share/x', '/../evil.txt'];
  const windows = [
    'C:/evil.txt',
    'c:evil.txt',
    'C:\\evil.txt',
    '..\\evil.txt',
    'a\\..\\..\\evil.txt',
    '\\\\?\\C:\\x',
    '\\evil.txt',
  ];

  for (const name of [...traversals, ...absolute, ...windows]) {
    it(`${JSON.stringify(name)} is refused in zip, tar, tar.gz, GNU long names and pax paths`, () => {
      expect(rejected('zip', zip([{ name, data: 'x' }]))).toBe('unsafe_path');
      expect(rejected('tar', tar([{ name, data: 'x' }]))).toBe('unsafe_path');
      expect(rejected('tar.gz', tgz(tar([{ name, data: 'x' }])))).toBe('unsafe_path');
      expect(
        rejected(
          'tar',
          tar([
            { name: 'L', type: 'L', data: name },
            { name: 'ok', data: 'x' },
          ]),
        ),
      ).toBe('unsafe_path');
      expect(
        rejected(
          'tar',
          tar([
            { name: 'x', type: 'x', data: paxRecord('path', name) },
            { name: 'ok', data: 'x' },
          ]),
        ),
      ).toBe('unsafe_path');
    });
  }

  it('a ustar prefix cannot smuggle a traversal either', () => {
    expect(rejected('tar', tar([{ name: 'evil.txt', prefix: '..', data: 'x' }]))).toBe('unsafe_path');
    expect(rejected('tar', tar([{ name: 'evil.txt', prefix: '/etc', data: 'x' }]))).toBe('unsafe_path');
  });

  it('look-alikes and encodings of dots are sanitised, never interpreted', () => {
    const { result, files } = read(
      'zip',
      zip([
        { name: '\u2025/%2e%2e/x.txt', data: 'x' },
        { name: '.../y', data: 'y' },
      ]),
    );
    expect(result.ok).toBe(true);
    expect([...files.keys()]).toEqual(['_/_2e_2e/x.txt', '.../y']);
  });

  it('depth and length are limited', () => {
    expect(rejected('zip', zip([{ name: `${'a/'.repeat(32)}f`, data: 'x' }]))).toBe('path_too_deep');
    expect(rejected('tar', tar([{ name: 'L', type: 'L', data: 'a'.repeat(256) }, { name: 'x' }]))).toBe(
      'path_too_long',
    );
    expect(read('zip', zip([{ name: `${'a/'.repeat(31)}f`, data: 'x' }])).result.ok).toBe(true);
  });
});

describe('entry types', () => {
  it('symbolic links are refused (zip mode, tar type 2)', () => {
    expect(rejected('zip', zip([{ name: 'link', data: '/etc/passwd', mode: 0o120777 }]))).toBe('link');
    expect(rejected('tar', tar([{ name: 'link', type: '2', linkname: '/etc/passwd' }]))).toBe('link');
    expect(rejected('tar.gz', tgz(tar([{ name: 'link', type: '2', linkname: '../../x' }])))).toBe('link');
  });

  it('hard links are refused (tar type 1, GNU long link names)', () => {
    expect(
      rejected(
        'tar',
        tar([
          { name: 'a', data: 'x' },
          { name: 'h', type: '1', linkname: 'a' },
        ]),
      ),
    ).toBe('link');
    expect(rejected('tar', tar([{ name: 'K', type: 'K', data: '/etc/shadow' }]))).toBe('link');
  });

  it('devices, FIFOs and sockets are refused', () => {
    for (const type of ['3', '4', '6'])
      expect(rejected('tar', tar([{ name: 'dev', type }]))).toBe('special_file');
    for (const mode of [0o020644, 0o060644, 0o010644, 0o140644]) {
      expect(rejected('zip', zip([{ name: 'dev', mode }]))).toBe('special_file');
    }
  });

  it('other tar types (sparse files, volume labels) are refused', () => {
    expect(rejected('tar', tar([{ name: 's', type: 'S' }]))).toBe('unsupported');
  });
});

describe('names', () => {
  it('duplicates after normalisation are refused', () => {
    expect(rejected('zip', zip([{ name: 'a.txt' }, { name: './a.txt' }]))).toBe('duplicate_path');
    expect(rejected('tar', tar([{ name: 'a//b' }, { name: 'a/b' }]))).toBe('duplicate_path');
    expect(rejected('zip', zip([{ name: 'é.txt' }, { name: 'è.txt' }]))).toBe('duplicate_path');
    expect(rejected('zip', zip([{ name: 'a' }, { name: 'a/b' }]))).toBe('duplicate_path');
    expect(rejected('tar', tar([{ name: 'a/b' }, { name: 'a' }]))).toBe('duplicate_path');
  });

  it('non-UTF-8 names are sanitised, with the mapping shown', () => {
    const name = new Uint8Array([0x66, 0xff, 0xfe, 0x2e, 0x70, 0x79]);
    const { result, files } = read('zip', zip([{ name, data: 'x', flags: 0 }]));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([...files.keys()]).toEqual(['f__.py']);
    expect(result.manifest.renamed).toEqual([{ from: 'f\uFFFD\uFFFD.py', to: 'f__.py' }]);
  });

  it('control characters, newlines and escapes in names are sanitised', () => {
    const { result, files } = read('tar', tar([{ name: 'a\x01b\x1b[31m\n.txt', data: 'x' }]));
    expect(result.ok).toBe(true);
    expect([...files.keys()]).toEqual(['a_b__31m_.txt']);
  });
});

describe('truncated and corrupt archives', () => {
  const goodZip = zip([
    { name: 'a.txt', data: 'hello '.repeat(100) },
    { name: 'b.txt', data: 'world' },
  ]);
  const goodTar = tar([{ name: 'a.txt', data: 'hello '.repeat(100) }]);

  it('truncated anywhere', () => {
    for (const cut of [1, 30, goodZip.length / 2, goodZip.length - 1]) {
      expect(rejected('zip', goodZip.subarray(0, Math.floor(cut)))).toBe('corrupt');
    }
    for (const cut of [100, 512, 700, goodTar.length - 512]) {
      expect(rejected('tar', goodTar.subarray(0, cut))).toBe('corrupt');
    }
    const gz = tgz(goodTar);
    expect(rejected('tar.gz', gz.subarray(0, gz.length - 9))).toBe('corrupt');
  });

  it('bad CRC, bad deflate data, bad checksums, garbage', () => {
    expect(rejected('zip', zip([{ name: 'a.txt', data: 'hello', crc: 1234 }]))).toBe('corrupt');
    const flipped = goodZip.slice();
    flipped[40] = (flipped[40] as number) ^ 0xff;
    expect(rejected('zip', flipped)).toBe('corrupt');
    const badTar = goodTar.slice();
    badTar[0] = 0x7a;
    expect(rejected('tar', badTar)).toBe('corrupt');
    const noise = new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff);
    for (const kind of ['zip', 'tar', 'tar.gz'] as const) {
      expect(rejected(kind, noise)).toBe('corrupt');
      expect(rejected(kind, new Uint8Array(0))).toBe('corrupt');
    }
  });

  it('encrypted zip entries are refused', () => {
    expect(rejected('zip', zip([{ name: 'a.txt', data: 'x', flags: 0x801 }]))).toBe('unsupported');
  });
});
