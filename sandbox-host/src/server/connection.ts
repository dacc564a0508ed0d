/**
 * One authenticated WebSocket = one run. The token (already verified on the upgrade) fixes the run id and
 * the request digest; the first `run` message must match both. Malformed, oversized or unexpected frames
 * get an `error` frame and a close with an application code, never an exception.
 */

import type { ErrorCode, HostMessage, RunResult } from '@airlock/protocol';
import {
  CLOSE_CODES,
  ClientMessageSchema,
  ERROR_CLOSE_CODES,
  RunRequestSchema,
  runRequestDigest,
} from '@airlock/protocol';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { RunService } from '../runner/service.ts';
import type { VerifiedRunToken } from './auth.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Outgoing = DistributiveOmit<HostMessage, 'seq' | 'runId'>;

export interface ConnectionOptions {
  socket: WebSocket;
  token: VerifiedRunToken;
  service: RunService;
  logger: Logger;
  idleTimeoutMs: number;
  maxFrameBytes: number;
}

export function handleConnection(o: ConnectionOptions): void {
  const { socket, token } = o;
  const log = o.logger.child({ runId: token.runId });
  let seq = 0;
  let state: 'waiting' | 'running' | 'closed' = 'waiting';
  const cancel = new AbortController();
  let idleTimer: NodeJS.Timeout | undefined;

  const send = (message: Outgoing) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify({ ...message, runId: token.runId, seq: seq++ }));
  };

  const close = (code: number, reason: string) => {
    if (state === 'closed') return;
    // Closing mid-run (a protocol violation) cancels the run; after `exit` this is a no-op.
    if (state === 'running') cancel.abort();
    state = 'closed';
    clearTimeout(idleTimer);
    socket.close(code, reason);
  };

  const fail = (code: ErrorCode, message: string) => {
    send({ type: 'error', code, message });
    close(ERROR_CLOSE_CODES[code], code);
  };

  const armIdle = () => {
    clearTimeout(idleTimer);
    if (state !== 'waiting') return;
    idleTimer = setTimeout(() => {
      log.info('closing idle connection');
      close(CLOSE_CODES.idleTimeout, 'idle');
    }, o.idleTimeoutMs);
  };
  armIdle();

  socket.on('message', (data: RawData, isBinary: boolean) => {
    void onMessage(data, isBinary).catch((err: unknown) => {
      log.error({ err }, 'message handling failed');
      fail('internal', 'internal error');
    });
  });

  socket.on('close', () => {
    clearTimeout(idleTimer);
    if (state === 'running') cancel.abort();
    state = 'closed';
  });

  socket.on('error', (err) => {
    log.warn({ err: err.message }, 'socket error');
    if (state !== 'closed') cancel.abort();
  });

  async function onMessage(data: RawData, isBinary: boolean): Promise<void> {
    if (state === 'closed') return;
    armIdle();
    const bytes = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : data instanceof ArrayBuffer
        ? data.byteLength
        : data.length;
    if (bytes > o.maxFrameBytes) {
      fail('frame_too_large', `frames are limited to ${o.maxFrameBytes} bytes`);
      return;
    }
    if (isBinary) {
      fail('bad_request', 'frames must be JSON text');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    } catch {
      fail('bad_request', 'frame is not valid JSON');
      return;
    }
    const parsed = ClientMessageSchema.safeParse(json);
    if (!parsed.success) {
      fail('bad_request', 'unknown or malformed message');
      return;
    }
    const message = parsed.data;
    if (message.type === 'cancel') {
      if (message.runId !== token.runId) {
        fail('bad_request', 'cancel names another run');
        return;
      }
      if (state === 'running') {
        log.info('cancel requested');
        cancel.abort();
      }
      return;
    }
    if (state !== 'waiting') {
      fail('bad_request', 'one run per connection');
      return;
    }
    if (message.runId !== token.runId || (await runRequestDigest(message.request)) !== token.requestDigest) {
      log.warn('run message does not match its token');
      fail('hash_mismatch', 'the run does not match the token it was authorized with');
      return;
    }
    const request = RunRequestSchema.safeParse(message.request);
    if (!request.success) {
      fail(
        'bad_request',
        request.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '),
      );
      return;
    }
    const submitted = o.service.submit(
      token.runId,
      token.claims.org,
      request.data,
      {
        started: (startedAt) => send({ type: 'started', startedAt }),
        output: (stream, data) => send({ type: stream, data }),
      },
      cancel.signal,
    );
    if (!submitted.ok) {
      log.info({ code: submitted.code }, 'run refused');
      fail(submitted.code, submitted.message);
      return;
    }
    state = 'running';
    clearTimeout(idleTimer);
    send({ type: 'accepted', queued: submitted.queued });
    const outcome = await submitted.result;
    if (!outcome.ok) {
      fail(outcome.code, outcome.message);
      return;
    }
    finish(outcome.result);
  }

  function finish(result: RunResult): void {
    send({ type: 'exit', result });
    close(CLOSE_CODES.normal, 'done');
  }
}
