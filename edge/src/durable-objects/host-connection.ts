import {
  CLOSE_CODES,
  HostMessageSchema,
  LIMITS,
  type Mount,
  RUN_TOKEN,
  type RunRequest,
} from '@airlock/protocol';
import { type CryptoKey, importJWK } from 'jose';
import { hostRunUrl, parseSigningJwk, type SandboxHostRef } from '../domain/runs/config.ts';
import { type HostEvent, interpretHostMessage } from '../domain/runs/frames.ts';
import { mintRunToken } from '../domain/runs/token.ts';
import type { Logger } from '../lib/logger.ts';
import { FIXED } from '../limits.ts';

/**
 * One offer of a run to one sandbox host: mint the run token, open the run socket, send the run and
 * wait for the host's first answer. What the answer means for the dispatch:
 * - `accepted`: the run is the host's; its later frames go to `upstream`;
 * - `busy`: the host answered `error` with code `capacity`: healthy, just full (try another, or wait);
 * - `failed`: refused, unreachable, silent, or any other error: back off from it.
 */

export type HostAttempt =
  | { outcome: 'accepted'; socket: WebSocket }
  | { outcome: 'busy' }
  | { outcome: 'failed' };

/** Where a host's frames go once it has accepted the run. */
export interface Upstream {
  onEvent(event: HostEvent): void;
  /** The socket closed (the session decides whether that lost the run). */
  onClose(): void;
}

export interface Offer {
  host: SandboxHostRef;
  key: CryptoKey;
  runId: string;
  /** The run's organization: the host queues runs fairly across organizations. */
  orgId: string;
  request: RunRequest;
  upstream: Upstream;
  log: Logger;
  /** The bytes of the request's mounts (issue 15), opened once per offer; absent when it has none. */
  openMount?: MountOpener;
}

/** A mounted file's bytes as a stream (its R2 object), or null when the object is gone. */
export type MountOpener = (mount: Mount) => Promise<ReadableStream<Uint8Array> | null>;

export async function offerRun(offer: Offer): Promise<HostAttempt> {
  const { host, log } = offer;
  // Mounted files are opened before the host is contacted: a file deleted since the run was
  // created fails the offer without a socket.
  const mounts = await openMounts(offer);
  if (!mounts) return { outcome: 'failed' };
  const token = await mintRunToken({
    key: offer.key,
    hostId: host.id,
    runId: offer.runId,
    orgId: offer.orgId,
    request: offer.request,
    now: Date.now(),
    jti: crypto.randomUUID(),
  });
  let ws: WebSocket;
  try {
    const res = await withTimeout(
      fetch(hostRunUrl(host), { headers: { Upgrade: 'websocket', Authorization: `Bearer ${token}` } }),
      FIXED.hostConnectTimeoutMs,
    );
    if (!res.webSocket) {
      log.warn('sandbox host refused the connection', { hostId: host.id, status: res.status });
      return { outcome: 'failed' };
    }
    ws = res.webSocket;
    ws.accept();
  } catch (err) {
    log.warn('sandbox host unreachable', { hostId: host.id, err });
    return { outcome: 'failed' };
  }
  return awaitAnswer(ws, offer, mounts);
}

async function openMounts(offer: Offer): Promise<ReadableStream<Uint8Array>[] | undefined> {
  const wanted = offer.request.mounts ?? [];
  if (wanted.length === 0) return [];
  if (!offer.openMount) return undefined;
  const open = offer.openMount;
  const streams = await Promise.all(wanted.map((m) => open(m)));
  if (streams.some((s) => s === null)) {
    offer.log.warn('a mounted file is gone', { runId: offer.runId });
    await Promise.all(streams.map((s) => s?.cancel()));
    return undefined;
  }
  return streams as ReadableStream<Uint8Array>[];
}

/**
 * The mounts' bytes after the run message, in order, as binary frames of at most
 * LIMITS.mountChunkBytes: never one frame for a whole file, and never more than a frame's worth
 * held here at once (the R2 object streams through).
 */
async function sendMounts(ws: WebSocket, streams: readonly ReadableStream<Uint8Array>[]): Promise<void> {
  const max = LIMITS.mountChunkBytes;
  for (const stream of streams) {
    const reader = stream.getReader();
    let pending = new Uint8Array(max);
    let fill = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let at = 0;
      while (at < value.length) {
        const n = Math.min(max - fill, value.length - at);
        pending.set(value.subarray(at, at + n), fill);
        fill += n;
        at += n;
        if (fill === max) {
          ws.send(pending);
          pending = new Uint8Array(max);
          fill = 0;
        }
      }
    }
    if (fill > 0) ws.send(pending.subarray(0, fill));
  }
}

function awaitAnswer(
  ws: WebSocket,
  { host, runId, request, upstream, log }: Offer,
  mounts: readonly ReadableStream<Uint8Array>[],
): Promise<HostAttempt> {
  return new Promise((resolve) => {
    let accepted = false;
    let settled = false;
    const settle = (attempt: HostAttempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt);
    };
    const timer = setTimeout(() => {
      log.warn('sandbox host did not accept the run in time', { hostId: host.id });
      ws.close(CLOSE_CODES.normal, 'timeout');
      settle({ outcome: 'failed' });
    }, FIXED.hostConnectTimeoutMs);

    ws.addEventListener('message', (event) => {
      const parsed = parseHostFrame(event.data);
      if (!parsed) {
        log.warn('malformed frame from sandbox host', { hostId: host.id });
        return;
      }
      if (accepted) return upstream.onEvent(parsed);
      if (parsed.kind === 'accepted') {
        accepted = true;
        return settle({ outcome: 'accepted', socket: ws });
      }
      if (parsed.kind === 'error') {
        // At capacity is the one answer that says nothing bad about the host (the dispatch logs
        // the busy outcome once, not every retry).
        const busy = parsed.code === 'capacity';
        if (!busy) log.warn('sandbox host refused the run', { hostId: host.id, code: parsed.code });
        ws.close(CLOSE_CODES.normal, 'refused');
        return settle({ outcome: busy ? 'busy' : 'failed' });
      }
      log.warn('sandbox host sent a frame before accepting the run', { hostId: host.id });
    });
    ws.addEventListener('close', () => {
      if (accepted) upstream.onClose();
      else settle({ outcome: 'failed' });
    });
    ws.addEventListener('error', () => {
      if (!accepted) settle({ outcome: 'failed' });
    });
    ws.send(JSON.stringify({ type: 'run', runId, request }));
    if (mounts.length > 0) {
      sendMounts(ws, mounts).catch((err: unknown) => {
        log.warn('sending the mounted files failed', { hostId: host.id, err });
        ws.close(CLOSE_CODES.normal, 'mount failed');
        settle({ outcome: 'failed' });
      });
    }
  });
}

/**
 * The run-token signing key from SANDBOX_SIGNING_JWK, or undefined if it is unusable. The config
 * middleware refuses a malformed key before any route runs; this is the object's own check. Imported
 * once per isolate and secret text (every run is a new RunSession object, and the import is CPU on
 * every run's path: issue 18); a different text (a rotated secret) is imported afresh.
 */
let imported: { text: string; key: Promise<CryptoKey | undefined> } | undefined;

export function loadSigningKey(text: string | undefined): Promise<CryptoKey | undefined> {
  if (text === undefined) return Promise.resolve(undefined);
  if (imported?.text !== text) imported = { text, key: importSigningKey(text) };
  return imported.key;
}

async function importSigningKey(text: string): Promise<CryptoKey | undefined> {
  const jwk = parseSigningJwk(text);
  if (!jwk) return undefined;
  try {
    return (await importJWK(jwk, RUN_TOKEN.alg)) as CryptoKey;
  } catch {
    return undefined;
  }
}

function parseHostFrame(data: unknown): HostEvent | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const parsed = HostMessageSchema.safeParse(JSON.parse(data));
    return parsed.success ? interpretHostMessage(parsed.data) : undefined;
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
