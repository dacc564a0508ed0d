/** Test helpers: a real host on a random port with a fresh key pair, token minting and a WebSocket client. */
import { randomUUID } from 'node:crypto';
import type { HostMessage, RunResult } from '@airlock/protocol';
import { LIMITS, RUN_TOKEN, runRequestDigest } from '@airlock/protocol';
import type Docker from 'dockerode';
import type { CryptoKey, JWK } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, expect } from 'vitest';
import WebSocket from 'ws';
import { parseConfig } from '../src/config.ts';
import { createDockerClient } from '../src/docker/client.ts';
import { CONTAINER_LABELS, type ProfileLimits } from '../src/docker/profile.ts';
import type { SandboxHost } from '../src/host.ts';
import { RUN_PATH, startHost } from '../src/host.ts';
import { buildImage, imageName } from '../src/images/builder.ts';
import { bash } from '../src/images/manifests/bash.ts';
import { builderDirs } from '../src/images/paths.ts';

/** The engine under test: DOCKER_SOCKET as for the host (the host-userns suite names its second engine). */
export const docker = createDockerClient(process.env.DOCKER_SOCKET || undefined);

/** A sandbox's limits as the host's defaults give them, for tests that build a spec or a sandbox directly. */
export const SANDBOX_LIMITS: ProfileLimits = {
  memoryMb: 256,
  pidsLimit: 100,
  nanoCpus: 1e9,
  workTmpfsMb: 64,
  tmpTmpfsMb: 64,
  fileSizeBytes: 64 << 20,
  openFiles: 256,
};

/**
 * A builder test's image: the bash runtime's manifest under its own language name, so the suite's
 * runtime images are never replaced (a fixed name: its .deb cache serves the next run). `build` runs
 * the real image builder on `engine`; the image is removed after the calling file's tests.
 */
export function scratchImage(engine: Docker, language: string) {
  const manifest = { ...bash, language };
  const dirs = builderDirs();
  afterAll(async () => {
    await engine
      .getImage(imageName(language))
      .remove({ force: true })
      .catch(() => undefined);
  });
  return {
    manifest,
    build: () =>
      buildImage(engine, manifest, { cacheDir: dirs.cacheDir, workDir: dirs.workDir }, () => undefined),
  };
}

export interface KeyPair {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKeys(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(RUN_TOKEN.alg, {
    crv: 'Ed25519',
    extractable: true,
  });
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

/** The organization test tokens name unless a test says otherwise. */
export const TEST_ORG = 'org-test';

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface TokenOptions {
  runId: string;
  request: unknown;
  /** The run's organization; `TEST_ORG` unless given (anything, to test the verifier's checks). */
  org?: unknown;
  aud?: string;
  iss?: string;
  typ?: string;
  jti?: string;
  iatOffset?: number;
  lifetime?: number;
  key?: CryptoKey;
  omit?: string[];
}

export interface TestHost {
  host: SandboxHost;
  hostId: string;
  keys: KeyPair;
  url: string;
  http: string;
  token(o: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

/** The runtime the suite runs sandboxes under: `SANDBOX_RUNTIME=runsc npx vitest run …` for gVisor. */
export function testRuntime(): 'runc' | 'runsc' {
  return process.env.SANDBOX_RUNTIME === 'runsc' ? 'runsc' : 'runc';
}

/** Fills memory 8 MiB at a time, printing how many blocks it holds after each: ends oom_killed. */
export const MEMORY_BOMB =
  'blocks = []\nwhile True:\n    blocks.append(bytearray(8 << 20))\n    print(len(blocks), flush=True)';

/** MiB the memory bomb held when it was stopped (its last line). */
export function heldMiB(stdout: string | undefined): number {
  const lines = (stdout ?? '').trim().split('\n');
  return Number(lines.at(-1)) * 8;
}

/**
 * The peak reported after an OOM kill. runc: the kernel kills the program and the wrapper lives on, so
 * the host reads the container's cgroup: near the limit, never over it. gVisor: the host's OOM killer
 * takes a ptrace stub of the program and the whole sandbox (sentry) ends with it; the cgroup is removed
 * with the sandbox before the host can read it, so the host reports no peak rather than a guess.
 */
export function expectPeakAfterOom(peak: number | null | undefined, limitMb: number): void {
  if (testRuntime() === 'runsc') {
    expect(peak).toBeNull();
    return;
  }
  expect(peak).toBeGreaterThan(limitMb * 0.75 * 1024 * 1024);
  expect(peak).toBeLessThanOrEqual(limitMb * 1024 * 1024);
}

export async function startTestHost(env: Record<string, string> = {}): Promise<TestHost> {
  const keys = await makeKeys();
  const hostId = env.HOST_ID ?? uniqueId('test');
  const parsed = parseConfig({
    PORT: '0',
    HOST_ID: hostId,
    EDGE_PUBLIC_JWK: JSON.stringify(keys.publicJwk),
    POOL_SIZE: '0',
    SANDBOX_RUNTIME: testRuntime(),
    // A uid of its own per sandbox for the whole file (e.g. SANDBOX_UID_RANGE=20000-59999 npx vitest run test/languages.test.ts).
    ...(process.env.SANDBOX_UID_RANGE ? { SANDBOX_UID_RANGE: process.env.SANDBOX_UID_RANGE } : {}),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const logger = pino({ level: parsed.config.logLevel }, pino.destination(2));
  const host = await startHost(parsed.config, { docker, logger, now: Date.now });
  const base = `127.0.0.1:${host.port}`;
  return {
    host,
    hostId,
    keys,
    url: `ws://${base}${RUN_PATH}`,
    http: `http://${base}`,
    token: (o) => mintToken(keys.privateKey, hostId, o),
    close: () => host.shutdown(),
  };
}

/**
 * One host for a whole test file: started before its first test, shut down after its last, and then no
 * sandbox container of it may be left. The returned handle reads the started host (used before the
 * start, it throws).
 */
export function withTestHost(env: Record<string, string> = {}): TestHost {
  let started: TestHost | undefined;
  beforeAll(async () => {
    started = await startTestHost(env);
  });
  afterAll(async () => {
    if (!started) return;
    await started.close();
    expect(await containersOf(started.hostId)).toEqual([]);
  });
  const current = (): TestHost => {
    if (!started) throw new Error('the test host starts in beforeAll');
    return started;
  };
  return {
    get host() {
      return current().host;
    },
    get hostId() {
      return current().hostId;
    },
    get keys() {
      return current().keys;
    },
    get url() {
      return current().url;
    },
    get http() {
      return current().http;
    },
    token: (o) => current().token(o),
    close: () => current().close(),
  };
}

export async function mintToken(key: CryptoKey, hostId: string, o: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000) + (o.iatOffset ?? 0);
  const claims: Record<string, unknown> = {
    run: o.runId,
    req: await runRequestDigest(o.request),
  };
  if (!o.omit?.includes('org')) claims.org = o.org ?? TEST_ORG;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: RUN_TOKEN.alg, typ: o.typ ?? RUN_TOKEN.typ })
    .setIssuer(o.iss ?? RUN_TOKEN.issuer)
    .setAudience(o.aud ?? hostId)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.lifetime ?? 30));
  if (!o.omit?.includes('jti')) jwt.setJti(o.jti ?? randomUUID());
  return jwt.sign(o.key ?? key);
}

export interface Session {
  ws: WebSocket;
  frames: HostMessage[];
  /** Resolves with the close code and reason once the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  next(type: HostMessage['type']): Promise<HostMessage>;
  send(value: unknown): void;
}

/** Opens an authorized socket; rejects with the HTTP status if the upgrade is refused. */
export function connect(url: string, token: string | undefined): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      maxPayload: 64 * 1024 * 1024,
    });
    const frames: HostMessage[] = [];
    const waiters: Array<{ type: string; resolve: (m: HostMessage) => void }> = [];
    let onClose: (v: { code: number; reason: string }) => void = () => undefined;
    const closed = new Promise<{ code: number; reason: string }>((r) => {
      onClose = r;
    });
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as HostMessage;
      frames.push(msg);
      for (const w of waiters.filter((w) => w.type === msg.type)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    });
    ws.on('close', (code, reason) => onClose({ code, reason: reason.toString() }));
    ws.on('unexpected-response', (_req, res) => {
      reject(new UpgradeRefused(res.statusCode ?? 0));
      res.resume();
    });
    ws.on('error', (err) => reject(err));
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        closed,
        next(type) {
          const seen = frames.find((f) => f.type === type);
          if (seen) return Promise.resolve(seen);
          return new Promise((r) => waiters.push({ type, resolve: r }));
        },
        send(value) {
          ws.send(typeof value === 'string' ? value : JSON.stringify(value));
        },
      }),
    );
  });
}

export class UpgradeRefused extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`upgrade refused with HTTP ${status}`);
    this.status = status;
  }
}

export interface RunOutput {
  result: RunResult | undefined;
  error: Extract<HostMessage, { type: 'error' }> | undefined;
  frames: HostMessage[];
  close: { code: number; reason: string };
  streamed: { stdout: string; stderr: string };
}

/**
 * Runs a request end to end over a WebSocket and collects everything the host sent. `mounts`: the
 * bytes of `request.mounts`, sent after the run frame as the edge sends them (binary frames of at most
 * LIMITS.mountChunkBytes, in order).
 */
export async function runOnHost(
  h: Pick<TestHost, 'url' | 'token'>,
  request: Record<string, unknown>,
  opts: { onFrame?: (m: HostMessage, s: Session) => void; mounts?: readonly Buffer[] } = {},
): Promise<RunOutput> {
  const runId = uniqueId('run');
  const session = await connect(h.url, await h.token({ runId, request }));
  if (opts.onFrame) {
    const cb = opts.onFrame;
    session.ws.on('message', (d) => cb(JSON.parse(String(d)) as HostMessage, session));
  }
  session.send({ type: 'run', runId, request });
  for (const bytes of opts.mounts ?? []) {
    for (let at = 0; at < bytes.length; at += LIMITS.mountChunkBytes)
      session.ws.send(bytes.subarray(at, at + LIMITS.mountChunkBytes), { binary: true });
  }
  const close = await session.closed;
  const exit = session.frames.find((f) => f.type === 'exit');
  const error = session.frames.find((f) => f.type === 'error');
  const streamed = { stdout: '', stderr: '' };
  for (const f of session.frames) if (f.type === 'stdout' || f.type === 'stderr') streamed[f.type] += f.data;
  return {
    result: exit?.type === 'exit' ? exit.result : undefined,
    error: error?.type === 'error' ? error : undefined,
    frames: session.frames,
    close,
    streamed,
  };
}

export async function containersOf(hostId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({
    all: true,
    filters: { label: [`${CONTAINER_LABELS.managed}=true`, `${CONTAINER_LABELS.host}=${hostId}`] },
  });
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 30_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
