/**
 * Runtime image builder CLI.
 *   node sandbox-host/src/images/cli.ts build [--only python,c] [--jobs 2] [--force] [--index-max-age-hours 6]
 *   node sandbox-host/src/images/cli.ts status [--only python,c]
 *   node sandbox-host/src/images/cli.ts build-host     (the sandbox host's own image, host-image.ts)
 * An image is current when its manifest hash matches and none of its recorded Debian packages has a
 * newer version in the suite's index (security updates). `build` rebuilds the others and exits non-zero
 * if any build fails; it refreshes the index only when it is older than --index-max-age-hours, so a run
 * with current images costs one `apt-cache` call and no download. `status` always refreshes the index
 * and exits 1 if any image is missing or out of date.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type Docker from 'dockerode';
import { createDockerClient } from '../docker/client.ts';
import { buildImage, imageLabels, imageName, manifestHash } from './builder.ts';
import { decideImageState, describeState, type ImageState, recordedPackages } from './freshness.ts';
import { buildHostImage, HOST_IMAGE } from './host-image.ts';
import type { RuntimeManifest } from './manifest.ts';
import { manifests } from './manifests/index.ts';
import { availableVersions, refreshIndex } from './package-index.ts';
import { builderDirs } from './paths.ts';

const HOUR_MS = 3_600_000;

/**
 * Each selected image's state. The index of every suite in use is refreshed (when older than
 * `indexMaxAgeMs`) and asked once for all the packages those images recorded. If the index cannot be
 * refreshed (offline), the last one is used; with none at all only the manifest hash decides (said so).
 */
async function imageStates(
  docker: Docker,
  selected: readonly RuntimeManifest[],
  indexDir: string,
  indexMaxAgeMs: number,
): Promise<Map<string, ImageState>> {
  const labels = new Map(
    await Promise.all(
      selected.map(async (m) => [m.language, await imageLabels(docker, m.language)] as const),
    ),
  );
  const available = new Map<string, ReadonlyMap<string, string> | null>();
  for (const suite of new Set(selected.map((m) => m.suite))) {
    const dir = join(indexDir, suite);
    const names = new Set<string>();
    for (const m of selected.filter((x) => x.suite === suite)) {
      for (const name of recordedPackages(labels.get(m.language) ?? null).keys()) names.add(name);
    }
    if (names.size === 0) continue;
    try {
      await refreshIndex(dir, suite, indexMaxAgeMs, Date.now());
    } catch (err) {
      console.error(`[images] warning: ${(err as Error).message}; using the last index of ${suite}`);
    }
    try {
      available.set(suite, await availableVersions(dir, [...names]));
    } catch (err) {
      console.error(
        `[images] warning: no package index for ${suite} (${(err as Error).message}); only manifests decide`,
      );
      available.set(suite, null);
    }
  }
  const states = new Map<string, ImageState>();
  for (const m of selected) {
    const state = decideImageState(
      labels.get(m.language) ?? null,
      await manifestHash(m),
      available.get(m.suite) ?? null,
    );
    states.set(m.language, state);
  }
  return states;
}

function selectManifests(only: string | undefined): RuntimeManifest[] {
  if (!only) return [...manifests];
  const wanted = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !manifests.some((m) => m.language === w));
  if (unknown.length > 0) {
    throw new Error(
      `unknown language(s): ${unknown.join(', ')}; known: ${manifests.map((m) => m.language).join(', ')}`,
    );
  }
  return manifests.filter((m) => wanted.includes(m.language));
}

async function runPool<T>(items: readonly T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  });
  await Promise.all(workers);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      jobs: { type: 'string', default: String(Math.max(1, Math.min(3, availableParallelism()))) },
      force: { type: 'boolean', default: false },
      'index-max-age-hours': { type: 'string', default: '6' },
    },
  });
  const command = positionals[0] ?? 'build';
  // The engine the host would use (DOCKER_SOCKET, as in the host's config): e.g. a user-namespace engine.
  const docker = createDockerClient(process.env.DOCKER_SOCKET || undefined);
  const selected = selectManifests(values.only);

  const dirs = builderDirs();

  if (command === 'status') {
    const states = await imageStates(docker, selected, dirs.indexDir, 0);
    for (const [language, state] of states) console.log(`${language.padEnd(11)} ${describeState(state)}`);
    return [...states.values()].every((s) => s.state === 'current') ? 0 : 1;
  }
  if (command === 'build-host') {
    const t0 = Date.now();
    await buildHostImage(docker, dirs.workDir, (name, msg) => console.log(`[images] ${name}: ${msg}`));
    console.log(`[images] built ${HOST_IMAGE} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  }
  if (command !== 'build') {
    console.error(`unknown command ${command}; use build, status or build-host`);
    return 2;
  }

  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error('--jobs must be a positive integer');
  const maxAgeHours = Number(values['index-max-age-hours']);
  if (!Number.isFinite(maxAgeHours) || maxAgeHours < 0)
    throw new Error('--index-max-age-hours must be a number ≥ 0');
  const started = Date.now();
  const failures: string[] = [];
  const todo: RuntimeManifest[] = [];
  const states = await imageStates(docker, selected, dirs.indexDir, maxAgeHours * HOUR_MS);
  for (const m of selected) {
    const state = states.get(m.language) ?? { state: 'missing' };
    if (state.state === 'current' && !values.force)
      console.log(`[images] ${m.language}: ${imageName(m.language)} is current, skipping`);
    else {
      console.log(`[images] ${m.language}: ${describeState(state)}`);
      todo.push(m);
    }
  }
  console.log(`[images] building ${todo.length} image(s) (${jobs} at a time; .deb cache ${dirs.cacheDir})`);
  await runPool(todo, jobs, async (m) => {
    const t0 = Date.now();
    try {
      const { version } = await buildImage(docker, m, dirs, (lang, msg) =>
        console.log(`[images] ${lang}: ${msg}`),
      );
      console.log(
        `[images] ${m.language}: built ${imageName(m.language)} (${version}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    } catch (err) {
      failures.push(m.language);
      console.error(`[images] ${m.language}: FAILED: ${(err as Error).message}`);
    }
  });
  const total = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length > 0) {
    console.error(`[images] ${failures.length} build(s) failed (${failures.join(', ')}) after ${total} s`);
    return 1;
  }
  console.log(`[images] all ${selected.length} image(s) current after ${total} s`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[images] error: ${(err as Error).message}`);
    process.exit(1);
  },
);
