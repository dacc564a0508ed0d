/**
 * One authenticated WebSocket = one run. The token (already verified on the upgrade) fixes the run id and
 * the request digest; the first `run` message must match both. Malformed, oversized or unexpected frames
 * get an `error` frame and a close with an application code, never an exception.
 *
 * The steps are named methods of one object per socket: frame in (`#onFrame`), `#onCancel`, `#onRun`
 * (binding check, then `#submit`, the one place the verified token reaches the run service), the idle
 * timer, `#send` and `#close`.
 */

import type { CancelMessage, ErrorCode, RunMessage, RunRequest, RunResult } from '@airlock/protocol';
import { CLOSE_CODES, ERROR_CLOSE_CODES, RunRequestSchema, runRequestDigest } from '@airlock/protocol';
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

export function handleConnection(o: ConnectionOptions): void {
  new RunConnection(o).listen();
}

class RunConnection {
  readonly #o: ConnectionOptions;
  readonly #log: Logger;
  /** Aborts the run: on `cancel`, on a close mid-run and on a socket error. */
  readonly #cancel = new AbortController();
  /** `binding`: a run frame is being checked against the token; any further run frame is refused. */
  #state: 'waiting' | 'binding' | 'running' | 'closed' = 'waiting';
  #seq = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(o: ConnectionOptions) {
    this.#o = o;
    this.#log = o.logger.child({ runId: o.token.runId });
  }

  listen(): void {
    const { socket } = this.#o;
    this.#armIdle();
    socket.on('message', (data: RawData, isBinary: boolean) => {
      void this.#onFrame(data, isBinary).catch((err: unknown) => {
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
    const { token } = this.#o;
    if (this.#state !== 'waiting') return this.#fail('bad_request', 'one run per connection');
    // Claimed before the digest is awaited: a second run frame arriving meanwhile must not pass too.
    this.#state = 'binding';
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
    await this.#submit(token, request.data);
  }

  /** Hands the run to the service with the verified token's claims, then relays its frames. */
  async #submit(token: VerifiedRunToken, request: RunRequest): Promise<void> {
    const submitted = this.#o.service.submit(
      token.runId,
      token.claims.org,
      request,
      {
        started: (startedAt) => this.#send({ type: 'started', startedAt }),
        output: (stream, data) => this.#send({ type: stream, data }),
      },
      this.#cancel.signal,
    );
    if (!submitted.ok) {
      this.#log.info({ code: submitted.code }, 'run refused');
      return this.#fail(submitted.code, submitted.message);
    }
    this.#state = 'running';
    clearTimeout(this.#idleTimer);
    this.#send({ type: 'accepted', queued: submitted.queued });
    const outcome = await submitted.result;
    if (!outcome.ok) return this.#fail(outcome.code, outcome.message);
    this.#finish(outcome.result);
  }

  /** Only a connection still waiting for its run can idle out; a running one ends with its run. */
  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#state !== 'waiting') return;
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
