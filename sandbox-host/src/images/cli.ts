/**
 * Runtime image builder CLI.
 *   node sandbox-host/src/images/cli.ts build [--only python,c] [--jobs 2] [--force]
 *   node sandbox-host/src/images/cli.ts status
 * Builds missing or out-of-date images (skipping current ones) and exits non-zero if any build fails.
 */
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDockerClient } from '../docker/client.ts';
import { buildImage, imageName, imageState } from './builder.ts';
import type { RuntimeManifest } from './manifest.ts';
import { manifests } from './manifests/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function defaultCacheDir(): string {
  if (process.env.AIRLOCK_IMAGE_CACHE_DIR) return process.env.AIRLOCK_IMAGE_CACHE_DIR;
  return process.getuid?.() === 0 ? '/var/cache/airlock/debs' : join(repoRoot, '.local/cache/debs');
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
    },
  });
  const command = positionals[0] ?? 'build';
  const docker = createDockerClient();
  const selected = selectManifests(values.only);

  if (command === 'status') {
    for (const m of selected) console.log(`${m.language.padEnd(11)} ${(await imageState(docker, m)).state}`);
    return 0;
  }
  if (command !== 'build') {
    console.error(`unknown command ${command}; use build or status`);
    return 2;
  }

  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error('--jobs must be a positive integer');
  const paths = { cacheDir: defaultCacheDir(), workDir: join(repoRoot, '.local/image-build') };
  const started = Date.now();
  const failures: string[] = [];
  const todo: RuntimeManifest[] = [];
  for (const m of selected) {
    const { state } = await imageState(docker, m);
    if (state === 'current' && !values.force)
      console.log(`[images] ${m.language}: ${imageName(m.language)} is current, skipping`);
    else todo.push(m);
  }
  console.log(`[images] building ${todo.length} image(s) (${jobs} at a time; .deb cache ${paths.cacheDir})`);
  await runPool(todo, jobs, async (m) => {
    const t0 = Date.now();
    try {
      const { version } = await buildImage(docker, m, paths, (lang, msg) =>
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
