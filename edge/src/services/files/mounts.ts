import { type Mount, MountSchema, type RunRequest, workFootprint } from '@airlock/protocol';
import type { ArchiveManifest } from '@airlock/protocol/archive';
import type { Context } from 'hono';
import { database } from '../../db/client.ts';
import type { AppEnv } from '../../env.ts';
import { ApiError } from '../../errors/api-error.ts';
import { type FileRow, findFiles } from '../../repositories/files.ts';
import type { Scope } from '../../repositories/scope.ts';
import { availableRuntimes } from '../create-run.ts';

/**
 * A run's `fileIds` (issue 15) become the request's `mounts`: found in the caller's scope (another
 * tenant's id is a 404, as everywhere), checked to fit the run's /work with the inline source
 * (`files_too_large_for_run`, before any container starts), and the `entry` checked to exist.
 * The unpacked sizes come from the manifests written at upload; the host counts again. Also answers
 * the paths /work will hold (what a task shows its model).
 *
 * /work's size is what the hosts advertise in their /runtimes (the smallest, so the files fit any of
 * them), never more than the edge's own RUN_TMPFS_MB, which applies alone when no host says.
 */

const utf8 = new TextEncoder();

export async function resolveMounts(
  c: Context<AppEnv>,
  scope: Scope,
  fileIds: readonly string[],
  request: Omit<RunRequest, 'mounts'>,
): Promise<{ mounts: Mount[]; paths: string[] }> {
  const rows = await findFiles(database(c.env.DB), scope, fileIds);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const ordered = fileIds.map((id) => byId.get(id));
  if (ordered.some((r) => r === undefined)) throw new ApiError('not_found', { message: 'File not found.' });
  const files = ordered as FileRow[];

  const paths = new Map<string, number>();
  for (const f of files) {
    if (f.kind === 'file') paths.set(f.name, f.size);
    else
      for (const e of (f.manifest as ArchiveManifest).entries)
        if (e.type === 'file') paths.set(e.path, e.size);
  }
  const inline = request.files?.map((f) => utf8.encode(f.content).length) ?? [];
  if (request.code !== undefined) inline.push(utf8.encode(request.code).length);
  const needed = workFootprint([...paths.values(), ...inline]);
  const available = await runWorkBytes(c);
  if (needed > available) {
    throw new ApiError('files_too_large_for_run', {
      message: `The run's files need ${needed} bytes of /work; it has ${available}.`,
      details: { neededBytes: needed, availableBytes: available },
    });
  }
  if (request.entry !== undefined && !paths.has(request.entry)) {
    throw new ApiError('validation_failed', {
      message: 'Invalid request: entry (not a file of the mounted files)',
      details: { fields: [{ field: 'entry', problem: 'not a file of the mounted files' }] },
    });
  }
  const mounts = files.map((f) =>
    MountSchema.parse({ id: f.id, name: f.name, kind: f.kind, size: f.size, sha256: f.sha256 }),
  );
  return { mounts, paths: [...paths.keys()] };
}

/** The bytes a run's files may fill: the hosts' /work, bounded by the edge's RUN_TMPFS_MB. */
async function runWorkBytes(c: Context<AppEnv>): Promise<number> {
  const own = c.get('config').files.runWorkBytes;
  // No host reachable: the edge's setting decides here, and the run itself is refused later.
  const hosts = await availableRuntimes(c).catch((err: unknown) => {
    if (err instanceof ApiError) return null;
    throw err;
  });
  return hosts?.workBytes ? Math.min(own, hosts.workBytes) : own;
}
