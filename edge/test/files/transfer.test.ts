/**
 * A run's files on a slow link (issue 15): the Worker in workerd with real R2 and D1, the harness's
 * real sandbox host behind a real TCP proxy on 127.0.0.1 that passes the edge's bytes at 1 MiB/s.
 * The short accept timeout (5 s) is for the handshake and runs without files; with files the host has
 * a deadline sized from their declared bytes (RUN_FILE_TRANSFER_MIN_BYTES_PER_SECOND, with a floor),
 * so an allowed 8 MiB transfer that takes 8 s runs, and a link slower than the setting still fails.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../helpers.ts';
import {
  type Frame,
  hostsEnv,
  type Overrides,
  postRun,
  requireHost,
  throttled,
  watch,
} from '../runs/support.ts';
import { json, type Tenant, tenant } from '../tenancy/fixtures.ts';
import { type FileBody, uploadRaw } from './support.ts';

const MIB = 1024 * 1024;
/** 8 MiB at 1 MiB/s: at least 8 s on the wire, beyond the 5 s accept timeout. */
const FILE_BYTES = 8 * MIB;
const LINK_BYTES_PER_SECOND = MIB;

let t: Tenant;
let file: FileBody;
let slowLink: Overrides;

beforeAll(async () => {
  requireHost();
  t = await tenant();
  const bytes = new Uint8Array(FILE_BYTES);
  for (let i = 0; i < bytes.length; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  file = await json<FileBody>(await uploadRaw(t.token, 'big.bin', bytes), 201);
  const [main] = JSON.parse(env.SANDBOX_HOSTS) as { id: string; url: string }[];
  if (!main) throw new Error('the harness has no sandbox host');
  slowLink = hostsEnv(await throttled(main, LINK_BYTES_PER_SECOND));
});

const code = 'import hashlib\nb = open("big.bin", "rb").read()\nprint(len(b), hashlib.sha256(b).hexdigest())';

describe('mounted files on a slow link', { timeout: 90_000 }, () => {
  it('an allowed transfer longer than the accept timeout reaches the host and runs', async () => {
    // The deadline for 8 MiB at 512 KiB/s is 16 s: room for the 8 s the link takes.
    const overrides = { ...slowLink, RUN_FILE_TRANSFER_MIN_BYTES_PER_SECOND: String(MIB / 2) } as Overrides;
    const res = await postRun(t.token, { language: 'python', code, fileIds: [file.id] }, overrides);
    const accepted = await json<{ streamUrl: string }>(res, 202);
    const watcher = await watch(accepted.streamUrl);
    await watcher.closed;
    const exit = watcher.frames.at(-1) as Frame;
    expect(exit.result).toMatchObject({ status: 'succeeded', stdout: `${FILE_BYTES} ${file.sha256}\n` });
  });

  it('the transfer deadline holds: a link slower than RUN_FILE_TRANSFER_MIN_BYTES_PER_SECOND fails', async () => {
    // 8 MiB at 4 MiB/s, floor 1 s: the host has 2 s, and the link needs 8.
    const overrides = {
      ...slowLink,
      RUN_FILE_TRANSFER_MIN_BYTES_PER_SECOND: String(4 * MIB),
      RUN_FILE_TRANSFER_FLOOR_MS: '1000',
    } as Overrides;
    const res = await postRun(t.token, { language: 'python', code, fileIds: [file.id] }, overrides);
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe('sandbox_unavailable');
  });
});
