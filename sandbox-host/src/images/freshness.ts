/**
 * Whether an installed runtime image is current: its manifest hash matches what the builder would
 * build now, and none of the Debian packages it was built with has a newer version in the archive
 * (security fixes land as new versions in `<suite>-security`). Pure: the image's labels and the index's
 * versions come in as arguments.
 */
import { findUpdates, type PackageUpdate, parsePackageRecord } from './debian-versions.ts';

export const IMAGE_LABELS = {
  managed: 'airlock.image',
  language: 'airlock.language',
  hash: 'airlock.manifest-hash',
  version: 'airlock.version',
  /** The image's Debian packages as `name=version` pairs (see formatPackageRecord). */
  packages: 'airlock.packages',
} as const;

export type ImageState =
  | { readonly state: 'current' }
  | { readonly state: 'missing' }
  /** The manifest, its files or the build procedure changed. */
  | { readonly state: 'outdated'; readonly reason: 'manifest' }
  /** Built before package versions were recorded: nothing proves its packages are current. */
  | { readonly state: 'outdated'; readonly reason: 'unrecorded' }
  | { readonly state: 'outdated'; readonly reason: 'packages'; readonly updates: readonly PackageUpdate[] };

/** The package names an image recorded (to ask the index about them). */
export function recordedPackages(labels: Readonly<Record<string, string>> | null): Map<string, string> {
  return parsePackageRecord(labels?.[IMAGE_LABELS.packages] ?? '');
}

/**
 * `labels` is null when the image is not installed; `available` is null when no index could be read
 * (offline): then only the manifest decides, and the caller says so.
 */
export function decideImageState(
  labels: Readonly<Record<string, string>> | null,
  wantedHash: string,
  available: ReadonlyMap<string, string> | null,
): ImageState {
  if (labels === null) return { state: 'missing' };
  if (labels[IMAGE_LABELS.hash] !== wantedHash) return { state: 'outdated', reason: 'manifest' };
  const built = recordedPackages(labels);
  if (built.size === 0) return { state: 'outdated', reason: 'unrecorded' };
  if (available === null) return { state: 'current' };
  const updates = findUpdates(built, available);
  return updates.length > 0 ? { state: 'outdated', reason: 'packages', updates } : { state: 'current' };
}

/** One line for `images status` and the build log. */
export function describeState(s: ImageState): string {
  if (s.state !== 'outdated') return s.state;
  if (s.reason === 'manifest') return 'outdated (manifest or builder changed)';
  if (s.reason === 'unrecorded') return 'outdated (no package record: built by an older builder)';
  const shown = s.updates.slice(0, 5).map((u) => `${u.name} ${u.built} → ${u.available}`);
  const more = s.updates.length > shown.length ? `, … ${s.updates.length - shown.length} more` : '';
  return `outdated (${s.updates.length} package update(s): ${shown.join(', ')}${more})`;
}
