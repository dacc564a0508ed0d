/**
 * One authenticated WebSocket = one run. The token (already verified on the upgrade) fixes the run id and
 * the request digest; the first `run` message must match both. Malformed, oversized or unexpected frames
 * get an `error` frame and a close with an application code, never an exception.
 *
 * The steps are named methods of one object per socket: frame in (`#onFrame`), `#onCancel`, `#onRun`
 * (binding check, then `#submit`, the one place the verified token reaches the run service), the idle
 * timer, `#send` and `#close`.
 */

import { createHash } from 'node:crypto';
import type { CancelMessage, ErrorCode, RunMessage, RunRequest, RunResult } from '@airlock/protocol';
import {
  CLOSE_CODES,
  ERROR_CLOSE_CODES,
  LIMITS,
  RunRequestSchema,
  runRequestDigest,
} from '@airlock/protocol';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { RunService } from '../runner/service.ts';
import type { VerifiedRunToken } from './auth.ts';
import type { Outgoing } from './frames.ts';
import { parseClientFrame } from './frames.ts';

interface ConnectionOptions {
  socket: WebSocket;
  token: VerifiedRunToken;
  service: RunService;
  logger: Logger;
  idleTimeoutMs: number;
  maxFrameBytes: number;
}

/** A run whose mounted files are still arriving. */
interface Receiving {
  request: RunRequest;
  chunks: Buffer[][];
  sizes: number[];
  /** The mount being filled, and its bytes so far. */
  index: number;
  filled: number;
}

export function handleConnection(o: ConnectionOptions): void {
  new RunConnection(o).listen();
}

class RunConnection {
  readonly #o: ConnectionOptions;
  readonly #log: Logger;
  /** Aborts the run: on `cancel`, on a close mid-run and on a socket error. */
  readonly #cancel = new AbortController();
  /**
   * `binding`: a run frame is being checked against the token; any further run frame is refused.
   * `receiving`: the run mounts files; their bytes arrive as binary frames before it is submitted.
   */
  #state: 'waiting' | 'binding' | 'receiving' | 'running' | 'closed' = 'waiting';
  /** While receiving: the verified request, and each mount's bytes so far. */
  #pending: Receiving | undefined;
  #seq = 0;
  /** Binary frames, chained in arrival order; and the run frame's check they wait behind. */
  #bytes: Promise<void> = Promise.resolve();
  #binding: Promise<void> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(o: ConnectionOptions) {
    this.#o = o;
    this.#log = o.logger.child({ runId: o.token.runId });
  }

  listen(): void {
    const { socket } = this.#o;
    this.#armIdle();
    socket.on('message', (data: RawData, isBinary: boolean) => {
      // A run's file bytes follow its run frame at once: binary frames wait, in order, for that
      // frame's (asynchronous) digest check. Text frames are handled as they come, as before.
      let handled: Promise<void>;
      if (isBinary) {
        this.#bytes = this.#bytes.then(() => this.#binding).then(() => this.#onFrame(data, isBinary));
        handled = this.#bytes;
      } else {
        handled = this.#onFrame(data, isBinary);
      }
      void handled.catch((err: unknown) => {
        this.#log.error({ err }, 'message handling failed');
        this.#fail('internal', 'internal error');
      });
    });
    socket.on('close', () => {
      clearTimeout(this.#idleTimer);
      if (this.#state === 'running') this.#cancel.abort();
      this.#state = 'closed';
    });
    socket.on('error', (err) => {
      this.#log.warn({ err: err.message }, 'socket error');
      if (this.#state !== 'closed') this.#cancel.abort();
    });
  }

  async #onFrame(data: RawData, isBinary: boolean): Promise<void> {
    if (this.#state === 'closed') return;
    this.#armIdle();
    if (this.#state === 'receiving' && isBinary) return this.#onMountBytes(data);
    const frame = parseClientFrame(data, isBinary, this.#o.maxFrameBytes);
    if (!frame.ok) return this.#fail(frame.code, frame.message);
    if (frame.message.type === 'cancel') return this.#onCancel(frame.message);
    return this.#onRun(frame.message);
  }

  #onCancel(message: CancelMessage): void {
    if (message.runId !== this.#o.token.runId) {
      this.#fail('bad_request', 'cancel names another run');
    } else if (this.#state === 'running') {
      // Before the run starts there is nothing to cancel; after it ends, nothing either.
      this.#log.info('cancel requested');
      this.#cancel.abort();
    }
  }

  async #onRun(message: RunMessage): Promise<void> {
    if (this.#state !== 'waiting') return this.#fail('bad_request', 'one run per connection');
    // Claimed before the digest is awaited: a second run frame arriving meanwhile must not pass too.
    this.#state = 'binding';
    let bound: () => void = () => undefined;
    this.#binding = new Promise<void>((r) => {
      bound = r;
    });
    try {
      await this.#bind(message);
    } finally {
      bound();
    }
  }

  async #bind(message: RunMessage): Promise<void> {
    const { token } = this.#o;
    const matches =
      message.runId === token.runId && (await runRequestDigest(message.request)) === token.requestDigest;
    // The socket may have closed (or idled out) during the digest: then there is no one to run for.
    if (this.#state !== 'binding') return;
    if (!matches) {
      this.#log.warn('run message does not match its token');
      return this.#fail('hash_mismatch', 'the run does not match the token it was authorized with');
    }
    const request = RunRequestSchema.safeParse(message.request);
    if (!request.success) {
      return this.#fail(
        'bad_request',
        request.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '),
      );
    }
    const mounts = request.data.mounts ?? [];
    if (mounts.length === 0) return this.#submit(token, request.data, []);
    this.#state = 'receiving';
    this.#pending = {
      request: request.data,
      chunks: mounts.map(() => []),
      sizes: mounts.map((m) => m.size),
      index: 0,
      filled: 0,
    };
    this.#skipEmptyMounts();
  }

  /**
   * The mounts' bytes, in order, split across binary frames: never more than each mount's declared
   * size (which the token's digest covers), so what is held is bounded by what was authorized.
   */
  #onMountBytes(data: RawData): void {
    const p = this.#pending;
    if (!p) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (bytes.length > LIMITS.mountChunkBytes) {
      this.#fail('frame_too_large', `file frames are limited to ${LIMITS.mountChunkBytes} bytes`);
      return;
    }
    let at = 0;
    while (at < bytes.length) {
      const size = p.sizes[p.index];
      if (size === undefined) {
        this.#fail('bad_request', 'more file bytes than the run declared');
        return;
      }
      const n = Math.min(size - p.filled, bytes.length - at);
      p.chunks[p.index]?.push(bytes.subarray(at, at + n));
      p.filled += n;
      at += n;
      if (p.filled === size) this.#nextMount(p);
    }
    this.#skipEmptyMounts();
  }

  #nextMount(p: Receiving): void {
    p.index += 1;
    p.filled = 0;
  }

  /** Advances past zero-byte mounts; once every mount is complete, checks the digests and submits. */
  #skipEmptyMounts(): void {
    const p = this.#pending;
    if (!p) return;
    while (p.sizes[p.index] === 0) this.#nextMount(p);
    if (p.index < p.sizes.length) return;
    this.#pending = undefined;
    const mounts = p.chunks.map((c) => Buffer.concat(c));
    const declared = p.request.mounts ?? [];
    const mismatch = mounts.findIndex(
      (b, i) => createHash('sha256').update(b).digest('hex') !== declared[i]?.sha256,
    );
    if (mismatch !== -1) {
      this.#log.warn({ mount: mismatch }, 'mounted file does not match its digest');
      this.#fail('hash_mismatch', 'a mounted file does not match the digest it was authorized with');
      return;
    }
    this.#submit(this.#o.token, p.request, mounts);
  }

  /** Hands the run to the service with the verified token's claims, then relays its frames. */
  #submit(token: VerifiedRunToken, request: RunRequest, mounts: readonly Buffer[]): void {
    if (this.#state === 'closed') return;
    const submitted = this.#o.service.submit(
      token.runId,
      token.claims.org,
      request,
      {
        started: (startedAt) => this.#send({ type: 'started', startedAt }),
        output: (stream, data) => this.#send({ type: stream, data }),
      },
      this.#cancel.signal,
      mounts,
    );
    if (!submitted.ok) {
      this.#log.info({ code: submitted.code }, 'run refused');
      this.#fail(submitted.code, submitted.message);
      return;
    }
    this.#state = 'running';
    clearTimeout(this.#idleTimer);
    this.#send({ type: 'accepted', queued: submitted.queued });
    // Not awaited: the inbox must stay free for a `cancel` while the run goes on.
    void submitted.result.then((outcome) => {
      if (!outcome.ok) return this.#fail(outcome.code, outcome.message);
      this.#finish(outcome.result);
    });
  }

  /** Only a connection still waiting for its run (or its files) can idle out; a running one ends with its run. */
  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#state !== 'waiting' && this.#state !== 'receiving') return;
    this.#idleTimer = setTimeout(() => {
      this.#log.info('closing idle connection');
      this.#close(CLOSE_CODES.idleTimeout, 'idle');
    }, this.#o.idleTimeoutMs);
  }

  #send(message: Outgoing): void {
    const { socket, token } = this.#o;
    if (socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify({ ...message, runId: token.runId, seq: this.#seq++ }));
  }

  #fail(code: ErrorCode, message: string): void {
    this.#send({ type: 'error', code, message });
    this.#close(ERROR_CLOSE_CODES[code], code);
  }

  #finish(result: RunResult): void {
    this.#send({ type: 'exit', result });
    this.#close(CLOSE_CODES.normal, 'done');
  }

  #close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    // Closing mid-run (a protocol violation) cancels the run; after `exit` this is a no-op.
    if (this.#state === 'running') this.#cancel.abort();
    this.#state = 'closed';
    clearTimeout(this.#idleTimer);
    this.#o.socket.close(code, reason);
  }
}
