import semver from 'semver';
import type { RuntimeView } from '../runs/runtimes.ts';

/**
 * Airlock's runtimes under Piston's names (GET /api/v2/runtimes, the `language` of /execute).
 * Names, aliases and `runtime` follow Piston's package metadata (engineer-man/piston packages/*),
 * so bots that ask for `py`, `node`, `c++` or `golang` find the runtime they found on Piston.
 */

interface PistonName {
  /** Piston's language name, shown in the list and echoed in /execute answers. */
  readonly language: string;
  readonly aliases: readonly string[];
  /** Piston's runtime (package) name where it differs from the language, e.g. `node`, `gcc`. */
  readonly runtime?: string;
}

/** Keyed by Airlock's language id (sandbox-host manifests). */
const PISTON_NAMES: Readonly<Record<string, PistonName>> = {
  python: { language: 'python', aliases: ['py', 'py3', 'python3'] },
  javascript: {
    language: 'javascript',
    aliases: ['node-javascript', 'node-js', 'js', 'node'],
    runtime: 'node',
  },
  typescript: { language: 'typescript', aliases: ['ts', 'node-ts', 'tsc'] },
  bash: { language: 'bash', aliases: ['sh'] },
  c: { language: 'c', aliases: ['gcc'], runtime: 'gcc' },
  cpp: { language: 'c++', aliases: ['cpp', 'g++'], runtime: 'gcc' },
  go: { language: 'go', aliases: ['golang'] },
  rust: { language: 'rust', aliases: ['rs'] },
  java: { language: 'java', aliases: [] },
  ruby: { language: 'ruby', aliases: ['rb'] },
  php: { language: 'php', aliases: ['php8'] },
  lua: { language: 'lua', aliases: [] },
};

/** A runtime as Piston lists it, with the Airlock runtime behind it. */
export interface PistonRuntime {
  language: string;
  /** A semver version (Piston matches `version` requests against it). */
  version: string;
  aliases: string[];
  runtime?: string;
  airlock: RuntimeView;
}

const NUMERIC_VERSION = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/;

/**
 * A semver version from a runtime's version text (`Python 3.13.5`, `go version go1.24.4 linux/amd64`,
 * `g++ (Debian 14.2.0-19) 14.2.0`, `v20.19.2`): the first dotted number, padded to x.y.z.
 * `0.0.0` when there is none, so a `*` request still matches.
 */
export function semverOf(text: string | null): string {
  const m = NUMERIC_VERSION.exec(text ?? '');
  if (!m) return '0.0.0';
  return `${Number(m[1])}.${Number(m[2] ?? 0)}.${Number(m[3] ?? 0)}`;
}

export function pistonRuntimes(runtimes: readonly RuntimeView[]): PistonRuntime[] {
  return runtimes.map((rt) => {
    const name = PISTON_NAMES[rt.language];
    const aliases = (name?.aliases ?? []).filter((a) => a !== (name?.language ?? rt.language));
    // Airlock's own id is an alias too when Piston's name differs (`cpp` for `c++`).
    if (name && name.language !== rt.language && !aliases.includes(rt.language)) aliases.push(rt.language);
    return {
      language: name?.language ?? rt.language,
      version: semverOf(rt.version),
      aliases,
      ...(name?.runtime === undefined ? {} : { runtime: name.runtime }),
      airlock: rt,
    };
  });
}

/**
 * Piston's lookup (runtime.js get_latest_runtime_matching_language_version): the language by name or
 * alias, its version satisfying `version` (an exact version, `*`, or any semver range).
 */
export function findPistonRuntime(
  runtimes: readonly PistonRuntime[],
  language: string,
  version: string,
): PistonRuntime | undefined {
  const matching = runtimes.filter(
    (rt) =>
      (rt.language === language || rt.aliases.includes(language)) &&
      semver.satisfies(rt.version, version, { loose: true }),
  );
  return matching.sort((a, b) => semver.rcompare(a.version, b.version))[0];
}

/** The list body of GET /api/v2/runtimes: Piston's fields only (`runtime` when there is one). */
export function runtimeListView(runtimes: readonly PistonRuntime[]) {
  return runtimes.map(({ airlock: _airlock, ...rest }) => rest);
}
