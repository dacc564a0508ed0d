/**
 * Runtime images get security updates (issue 11, item 6): each image records the Debian package
 * versions it was built from, and an image is out of date when the suite's index (with its -updates and
 * -security pockets) has a newer version of any of them. Pure logic against fixtures (dpkg's version
 * order, apt's policy output, the decision), then one real build against the real archive index.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageLabels, imageName, manifestHash } from '../src/images/builder.ts';
import {
  compareDebianVersions,
  findUpdates,
  formatPackageRecord,
  parseAptPolicy,
  parsePackageRecord,
} from '../src/images/debian-versions.ts';
import { decideImageState, IMAGE_LABELS } from '../src/images/freshness.ts';
import { availableVersions, debianSources, refreshIndex } from '../src/images/package-index.ts';
import { builderDirs } from '../src/images/paths.ts';
import { docker, scratchImage } from './support.ts';

describe('dpkg version order (deb-version(7))', () => {
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.10', '1.9', 1], // digit runs compare as numbers
    ['1.0~rc1', '1.0', -1], // ~ sorts before the end of the string
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0', '1.0+b1', -1], // binNMU
    ['2.41-12', '2.41-12+deb13u1', -1], // a stable security update
    ['2.41-12+deb13u9', '2.41-12+deb13u10', -1],
    ['1:1.0', '2.0', 1], // the epoch wins
    ['1.0-1', '1.0-1.1', -1],
    ['1.0a', '1.0', 1], // letters sort after the end
    ['1.0a', '1.0+', -1], // letters before other characters
    ['3.13.5-1', '3.13.5-1', 0],
    ['7.88.1-10+deb12u12', '7.88.1-10+deb12u5', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareDebianVersions(a, b))).toBe(sign);
    expect(Math.sign(compareDebianVersions(b, a))).toBe(-sign || 0);
  });
});

describe('package record and apt policy', () => {
  it('round-trips dpkg-query output through the label, sorted by name', () => {
    const record = parsePackageRecord(
      'zlib1g=1:1.3.dfsg+really1.3.1-1+b1\nbash=5.2.37-2+b10\nlibc6=2.41-12\n',
    );
    expect(formatPackageRecord(record)).toBe(
      'bash=5.2.37-2+b10 libc6=2.41-12 zlib1g=1:1.3.dfsg+really1.3.1-1+b1',
    );
    expect(parsePackageRecord(formatPackageRecord(record))).toEqual(record);
  });

  it('reads candidates from apt-cache policy and skips packages without one', () => {
    const output = [
      'bash:',
      '  Installed: (none)',
      '  Candidate: 5.2.37-2+b10',
      '  Version table:',
      '     5.2.37-2+b10 500',
      '        500 http://deb.debian.org/debian trixie/main amd64 Packages',
      'libc6:',
      '  Installed: (none)',
      '  Candidate: 2.41-12+deb13u1',
      '  Version table:',
      '     2.41-12+deb13u1 500',
      '        500 http://security.debian.org/debian-security trixie-security/main amd64 Packages',
      '     2.41-12 500',
      '        500 http://deb.debian.org/debian trixie/main amd64 Packages',
      'gone:',
      '  Installed: (none)',
      '  Candidate: (none)',
      '  Version table:',
    ].join('\n');
    expect(parseAptPolicy(output)).toEqual(
      new Map([
        ['bash', '5.2.37-2+b10'],
        ['libc6', '2.41-12+deb13u1'],
      ]),
    );
  });

  it('lists only packages with a newer version in the index', () => {
    const built = new Map([
      ['bash', '5.2.37-2+b10'],
      ['libc6', '2.41-12'],
      ['libssl3t64', '3.5.1-1+deb13u2'],
      ['removed', '1.0-1'],
    ]);
    const available = new Map([
      ['bash', '5.2.37-2+b10'],
      ['libc6', '2.41-12+deb13u1'],
      ['libssl3t64', '3.5.1-1+deb13u1'], // older than built (e.g. a stale mirror): not an update
    ]);
    expect(findUpdates(built, available)).toEqual([
      { name: 'libc6', built: '2.41-12', available: '2.41-12+deb13u1' },
    ]);
  });
});

describe('image state', () => {
  const labels = (packages: string | undefined): Record<string, string> => ({
    [IMAGE_LABELS.hash]: 'h1',
    ...(packages === undefined ? {} : { [IMAGE_LABELS.packages]: packages }),
  });
  const index = new Map([
    ['bash', '5.2.37-2+b10'],
    ['libc6', '2.41-12+deb13u1'],
  ]);

  it('decides from the manifest hash first, then the recorded packages against the index', () => {
    expect(decideImageState(null, 'h1', index)).toEqual({ state: 'missing' });
    expect(decideImageState(labels('bash=5.2.37-2+b10'), 'h2', index)).toEqual({
      state: 'outdated',
      reason: 'manifest',
    });
    expect(decideImageState(labels(undefined), 'h1', index)).toEqual({
      state: 'outdated',
      reason: 'unrecorded',
    });
    expect(decideImageState(labels('bash=5.2.37-2+b10 libc6=2.41-12+deb13u1'), 'h1', index)).toEqual({
      state: 'current',
    });
    expect(decideImageState(labels('bash=5.2.37-2+b10 libc6=2.41-12'), 'h1', index)).toEqual({
      state: 'outdated',
      reason: 'packages',
      updates: [{ name: 'libc6', built: '2.41-12', available: '2.41-12+deb13u1' }],
    });
  });

  it('without an index (offline) only the manifest decides', () => {
    expect(decideImageState(labels('libc6=2.41-12'), 'h1', null)).toEqual({ state: 'current' });
  });

  it('the builder installs from the same pockets the index reads, security included', () => {
    expect(debianSources('trixie').map((l) => l.split(' ').slice(-2).join(' '))).toEqual([
      'trixie main',
      'trixie-updates main',
      'trixie-security main',
    ]);
  });
});

describe('a real image against the real Debian index', () => {
  const { manifest, build } = scratchImage(docker, 'image-updates-test');

  it('records the packages the image holds; current now, outdated once a recorded version is older', async () => {
    await build();
    const labels = await imageLabels(docker, manifest.language);
    expect(labels).not.toBeNull();
    const record = parsePackageRecord(labels?.[IMAGE_LABELS.packages] ?? '');

    // The label is what dpkg inside the image says it holds.
    const container = await docker.createContainer({
      Image: imageName(manifest.language),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's field syntax.
      Cmd: ['dpkg-query', '-W', '-f', '${Package}=${Version}\\n'],
      NetworkDisabled: true,
      Tty: true, // raw output, no multiplexing headers
    });
    await container.start();
    await container.wait();
    const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
    await container.remove({ force: true });
    expect(record).toEqual(parsePackageRecord(logs));
    expect(record.get('bash')).toMatch(/^\d/);
    expect(record.get('libc6')).toMatch(/^\d/);

    const indexDir = join(builderDirs().indexDir, manifest.suite);
    await refreshIndex(indexDir, manifest.suite, 0, Date.now());
    const available = await availableVersions(indexDir, [...record.keys()]);
    // Every recorded package is one the archive lists (the image came from these pockets).
    expect([...record.keys()].filter((n) => !available.has(n))).toEqual([]);
    const hash = await manifestHash(manifest);
    expect(decideImageState(labels, hash, available)).toEqual({ state: 'current' });

    // The same image as if built before an update of bash: the real index names the update.
    const stale = new Map(record);
    stale.set('bash', '5.0-1');
    const staleLabels = { ...labels, [IMAGE_LABELS.packages]: formatPackageRecord(stale) };
    expect(decideImageState(staleLabels, hash, available)).toEqual({
      state: 'outdated',
      reason: 'packages',
      updates: [{ name: 'bash', built: '5.0-1', available: available.get('bash') }],
    });
  }, 300_000);
});
