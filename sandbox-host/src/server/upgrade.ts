/**
 * The WebSocket upgrade on RUN_PATH. The run token is verified on the HTTP request, before any socket
 * exists: a refused client gets a bare HTTP status (401 for every token failure, the reason only in the
 * log), never a WebSocket to probe.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { HOST_PATHS, LIMITS } from '@airlock/protocol';
import type { Logger } from 'pino';
import type { WebSocketServer } from 'ws';
import type { RunService } from '../runner/service.ts';
import type { TokenVerifier } from './auth.ts';
import { handleConnection } from './connection.ts';
import type { HostMetrics } from './metrics.ts';

export const RUN_PATH = HOST_PATHS.run;

interface UpgradeDeps {
  wss: WebSocketServer;
  verify: TokenVerifier;
  service: RunService;
  metrics: HostMetrics;
  log: Logger;
  idleTimeoutMs: number;
  /** True once shutdown began: new sockets get 503. */
  draining: () => boolean;
}

type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function createUpgradeHandler(d: UpgradeDeps): UpgradeHandler {
  return function onUpgrade(req, socket, head) {
    socket.on('error', () => undefined);
    const path = (req.url ?? '/').split('?')[0];
    if (path !== RUN_PATH) return refuse(socket, 404, 'Not Found');
    if (d.draining()) return refuse(socket, 503, 'Service Unavailable');
    d.verify(req.headers.authorization).then(
      (result) => {
        if (!result.ok) {
          d.metrics.tokenRejections.inc({ reason: result.reason });
          // Failed authentication is tracked (reason and peer address), never with the token itself.
          d.log.warn(
            { reason: result.reason, remoteAddress: req.socket.remoteAddress },
            'run token rejected',
          );
          return refuse(socket, 401, 'Unauthorized');
        }
        d.wss.handleUpgrade(req, socket, head, (ws) => {
          handleConnection({
            socket: ws,
            token: result.value,
            service: d.service,
            logger: d.log,
            idleTimeoutMs: d.idleTimeoutMs,
            maxFrameBytes: LIMITS.maxClientFrameBytes,
          });
        });
      },
      (err: unknown) => {
        d.log.error({ err }, 'token verification failed');
        refuse(socket, 500, 'Internal Server Error');
      },
    );
  };
}
