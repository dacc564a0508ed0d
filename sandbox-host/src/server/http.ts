/**
 * The host's HTTP surface: one node:http server carrying the plain routes (routes.ts) and the
 * authenticated WebSocket upgrade (upgrade.ts). It owns no runs; the lifecycle decides when it stops
 * accepting and when its sockets and connections close.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIMITS } from '@airlock/protocol';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { HostConfig } from '../config.ts';
import type { CgroupLayout } from '../docker/cgroup.ts';
import type { SurfaceShutdown } from '../lifecycle.ts';
import type { WarmPool } from '../runner/pool.ts';
import type { RunService } from '../runner/service.ts';
import type { InstalledRuntime } from '../runtimes.ts';
import { createTokenVerifier } from './auth.ts';
import type { HostMetrics } from './metrics.ts';
import { createRoutes, json } from './routes.ts';
import { createUpgradeHandler } from './upgrade.ts';

/** Slow clients may not hold a connection open longer than this for one request (slowloris). */
const REQUEST_TIMEOUT_MS = 10_000;

interface HttpSurfaceOptions {
  config: HostConfig;
  docker: Docker;
  log: Logger;
  now: () => number;
  runtimes: readonly InstalledRuntime[];
  pool: WarmPool;
  service: RunService;
  metrics: HostMetrics;
  cgroupLayout: CgroupLayout;
}

interface HttpSurface extends SurfaceShutdown {
  readonly port: number;
}

/** Listens on config.host:config.port; resolves once the port is bound. */
export async function startHttpSurface(o: HttpSurfaceOptions): Promise<HttpSurface> {
  const { config, log } = o;
  let draining = false;
  const isDraining = () => draining;
  const verify = await createTokenVerifier({
    publicJwks: config.edgePublicJwks,
    hostId: config.hostId,
    now: o.now,
  });

  const onRequest = createRoutes({ ...o, draining: isDraining });
  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      log.error({ err }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: { code: 'internal' } });
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;

  const wss = new WebSocketServer({
    noServer: true,
    // The hard ceiling; frames between maxClientFrameBytes and this get a polite `frame_too_large`.
    maxPayload: LIMITS.maxClientFrameBytes * 2,
    perMessageDeflate: false,
  });
  server.on(
    'upgrade',
    createUpgradeHandler({
      wss,
      verify,
      service: o.service,
      metrics: o.metrics,
      log,
      idleTimeoutMs: config.idleTimeoutMs,
      draining: isDraining,
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    stopAccepting() {
      draining = true;
      server.close();
    },
    closeSockets() {
      // 1001 is "going away" (RFC 6455 §7.4.1).
      for (const client of wss.clients) client.close(1001, 'shutting down');
    },
    closeConnections() {
      server.closeAllConnections();
    },
  };
}
