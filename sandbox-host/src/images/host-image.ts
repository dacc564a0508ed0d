/**
 * The sandbox host's own image (docker-compose.sandbox.yml), built like the runtime images: no registry,
 * no Dockerfile. A Debian root file system (essential + libstdc++6, which the Node binary links against)
 * gets the Node 22 binary the repository already installs (node_modules/node), the host's and the
 * protocol's sources, and only the host's production dependencies (`npm ls --omit=dev`: dockerode, pino,
 * ws, … — no wrangler, workerd, vitest or TypeScript). The host runs its `.ts` sources directly, as in
 * development. Node refuses to strip types below node_modules, so the workspace packages stay real
 * directories (/app/protocol, /app/sandbox-host) that node_modules/@airlock/* link to, as npm lays them out.
 *
 * Its Debian packages are recorded like a runtime image's (`airlock.packages`), so `images status` can
 * tell when it needs a rebuild for a security update too.
 */
import { execFile } from 'node:child_process';
import { cp, lstat, mkdir, readlink, rm, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { IMAGE_LABELS } from './freshness.ts';
import { debianSources } from './package-index.ts';
import {
  type BuildReporter,
  DPKG_EXCLUDES,
  importRootfs,
  packageRecordHook,
  readPackageRecord,
  runMmdebstrap,
} from './rootfs.ts';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const HOST_IMAGE = 'airlock-sandbox-host:latest';
const SUITE = 'trixie';
/** The host's name for itself in labels and the build log. */
const NAME = 'sandbox-host';
/** Workspace packages copied as sources (tests and dev files stay out). */
const WORKSPACES = ['protocol', 'sandbox-host'] as const;

/**
 * The production dependency tree of the host, as paths relative to the repository: hoisted ones in
 * node_modules/ and those npm nests in a workspace (sandbox-host/node_modules/zod).
 */
async function productionPackages(): Promise<string[]> {
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--workspace', NAME, '--parseable', '--all'], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  return [...new Set(stdout.split('\n').filter(Boolean))]
    .map((p) => relative(repoRoot, p))
    .filter((p) =>
      ['', ...WORKSPACES.map((ws) => `${ws}/`)].some((at) => p.startsWith(`${at}node_modules/`)),
    );
}

/** /app in the image: the sources of both workspaces and the host's production node_modules. */
async function stageApp(app: string): Promise<void> {
  for (const ws of WORKSPACES) {
    await cp(join(repoRoot, ws, 'package.json'), join(app, ws, 'package.json'));
    await cp(join(repoRoot, ws, 'src'), join(app, ws, 'src'), { recursive: true });
  }
  await cp(join(repoRoot, 'package.json'), join(app, 'package.json'));
  for (const pkg of await productionPackages()) {
    const from = join(repoRoot, pkg);
    const to = join(app, pkg);
    await mkdir(dirname(to), { recursive: true });
    if ((await lstat(from)).isSymbolicLink()) {
      // A workspace link (node_modules/@airlock/protocol -> ../../protocol): kept as the same link.
      await rm(to, { force: true });
      await symlink(await readlink(from), to);
    } else {
      await cp(from, to, { recursive: true, verbatimSymlinks: true, force: true });
    }
  }
}

export async function buildHostImage(
  docker: Docker,
  workDir: string,
  report: BuildReporter,
): Promise<{ packages: string }> {
  const stage = join(workDir, NAME);
  const app = join(stage, 'app');
  const bin = join(stage, 'bin');
  const packagesFile = join(stage, 'packages.txt');
  const rootfs = join(stage, 'rootfs.tar');
  await rm(stage, { recursive: true, force: true });
  await mkdir(bin, { recursive: true });
  report(NAME, 'staging the host sources and production dependencies');
  await stageApp(app);
  await cp(join(repoRoot, 'node_modules/node/bin/node'), join(bin, 'node'));

  const args = [
    '--variant=essential',
    '--format=tar',
    '--include=libstdc++6',
    ...DPKG_EXCLUDES,
    `--customize-hook=copy-in ${bin} /usr/local/`,
    `--customize-hook=copy-in ${app} /`,
    '--customize-hook=chmod -R a+rX,go-w "$1"/app "$1"/usr/local/bin',
    '--customize-hook=rm -rf "$1"/tmp/* "$1"/var/cache/apt/archives/*.deb',
    // The binary must start in the image, not only on the build machine (the old Dockerfile's image
    // lacked libstdc++ and exited at once).
    '--customize-hook=chroot "$1" /usr/local/bin/node --version',
    packageRecordHook(packagesFile),
    SUITE,
    rootfs,
    ...debianSources(SUITE),
  ];
  report(NAME, `mmdebstrap ${SUITE} + libstdc++6, Node ${process.version} and the host`);
  await runMmdebstrap(NAME, args, stage, report);
  const packages = await readPackageRecord(packagesFile, NAME);
  await importRootfs(docker, rootfs, HOST_IMAGE, String(Date.now()), [
    'WORKDIR /app',
    'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production',
    'ENTRYPOINT ["/usr/local/bin/node", "sandbox-host/src/main.ts"]',
    // The Docker socket is root:docker with a group id that varies per machine, so the host runs as root
    // inside a container without capabilities and with a read-only root (see the compose file).
    'USER 0:0',
    `LABEL ${IMAGE_LABELS.managed}=true`,
    `LABEL ${IMAGE_LABELS.packages}=${JSON.stringify(packages)}`,
  ]);
  // The staged copies (Node's binary alone is 120 MB) are in the image now; the record and log stay.
  await rm(app, { recursive: true, force: true });
  await rm(bin, { recursive: true, force: true });
  return { packages };
}
