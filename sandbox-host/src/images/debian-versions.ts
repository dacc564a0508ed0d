/**
 * Which Debian packages of an image have newer versions in the archive: pure functions over the
 * image's package record (its `airlock.packages` label, written at build time from the image's own dpkg
 * database) and the candidate versions apt reports for the same suites the builder installs from.
 *
 * The version order is dpkg's (deb-version(7)): epoch, then upstream version, then Debian revision,
 * each compared as alternating non-digit and digit runs, where `~` sorts before everything (even the
 * end of the string) and letters before other characters. A plain string comparison would call
 * `2.41-12+deb13u10` older than `2.41-12+deb13u9`.
 */

export interface PackageUpdate {
  readonly name: string;
  /** The version the image was built with. */
  readonly built: string;
  /** The newest version the archive has now. */
  readonly available: string;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (/^[A-Za-z]$/.test(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp: compares an upstream version or a revision. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const diff = order(a[i]) - order(b[j]);
      if (diff !== 0) return diff;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDiff = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function splitVersion(v: string): { epoch: number; upstream: string; revision: string } {
  const colon = v.indexOf(':');
  const epoch = colon > 0 ? Number(v.slice(0, colon)) : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash >= 0
    ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) }
    : { epoch, upstream: rest, revision: '' };
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` (dpkg's order). */
export function compareDebianVersions(a: string, b: string): number {
  const va = splitVersion(a);
  const vb = splitVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return compareFragment(va.upstream, vb.upstream) || compareFragment(va.revision, vb.revision);
}

/**
 * The package record as stored in the image label: `name=version` pairs separated by spaces, sorted by
 * name (a label is a single string; package names and versions contain neither `=` nor spaces).
 */
export function formatPackageRecord(packages: ReadonlyMap<string, string>): string {
  return [...packages]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, version]) => `${name}=${version}`)
    .join(' ');
}

/** Reads `dpkg-query -W -f '${Package}=${Version}\n'` output or a label written by formatPackageRecord. */
export function parsePackageRecord(text: string): Map<string, string> {
  const packages = new Map<string, string>();
  for (const entry of text.split(/\s+/)) {
    const eq = entry.indexOf('=');
    if (eq > 0 && eq < entry.length - 1) packages.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return packages;
}

/**
 * Candidate versions from `apt-cache policy <name>...`: one stanza per known package (`name:` then an
 * indented `Candidate:` line). Unknown packages print no stanza; `(none)` means no installable version.
 */
export function parseAptPolicy(output: string): Map<string, string> {
  const candidates = new Map<string, string>();
  let current: string | null = null;
  for (const line of output.split('\n')) {
    const heading = /^(\S+):$/.exec(line);
    if (heading?.[1]) {
      current = heading[1];
      continue;
    }
    const candidate = /^\s+Candidate:\s+(\S+)\s*$/.exec(line);
    if (current && candidate?.[1] && candidate[1] !== '(none)') candidates.set(current, candidate[1]);
  }
  return candidates;
}

/**
 * The packages whose archive version is newer than the one built in, by name. A package the archive no
 * longer lists is not an update (nothing newer exists to install); it stays as built.
 */
export function findUpdates(
  built: ReadonlyMap<string, string>,
  available: ReadonlyMap<string, string>,
): PackageUpdate[] {
  const updates: PackageUpdate[] = [];
  for (const [name, version] of built) {
    const newest = available.get(name);
    if (newest !== undefined && compareDebianVersions(newest, version) > 0) {
      updates.push({ name, built: version, available: newest });
    }
  }
  return updates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
