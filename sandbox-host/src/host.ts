/**
 * Composition root of the sandbox host: HTTP routes (health, readiness, metrics, runtimes), the
 * authenticated WebSocket upgrade, the warm pool, the run service, the orphan sweep and the shutdown
 * drain. Everything it needs (config, Docker client, logger, clock) is passed in.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HOST_PATHS, LIMITS } from '@airlock/protocol';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { HostConfig } from './config.ts';
import { cgroupV1Reader } from './docker/cgroup.ts';
import { sweepOrphans } from './docker/orphans.ts';
import type { ProfileLimits } from './docker/profile.ts';
import type { RuntimeManifest } from './images/manifest.ts';
import { manifests as allManifests } from './images/manifests/index.ts';
import { WarmPool } from './runner/pool.ts';
import { RunService } from './runner/service.ts';
import type { InstalledRuntime } from './runtimes.ts';
import { discoverRuntimes, runtimesAnswer } from './runtimes.ts';
import { createTokenVerifier } from './server/auth.ts';
import { handleConnection } from './server/connection.ts';
import { HostMetrics } from './server/metrics.ts';

export const RUN_PATH = HOST_PATHS.run;

export interface HostDeps {
  docker: Docker;
  logger: Logger;
  now?: () => number;
}

export interface SandboxHost {
  readonly port: number;
  readonly instanceId: string;
  readonly runtimes: readonly InstalledRuntime[];
  readonly service: RunService;
  readonly pool: WarmPool;
  /** Stops accepting, drains in-flight runs (up to drainTimeoutMs), cancels the rest, removes everything. */
  shutdown(): Promise<void>;
}

export async function startHost(config: HostConfig, deps: HostDeps): Promise<SandboxHost> {
  const { docker, logger } = deps;
  const now = deps.now ?? Date.now;
  const instanceId = randomUUID();
  const log = logger.child({ hostId: config.hostId });

  await docker.ping();
  // A previous process's containers are orphans by definition: remove them before anything else.
  // Every container of this host that no run of this process owns: at start and at shutdown.
  const sweepAll = () =>
    sweepOrphans({
      docker,
      hostId: config.hostId,
      instanceId,
      owned: () => new Set(),
      nowMs: now(),
      graceMs: 0,
    });
  const swept = await sweepAll();
  if (swept.length > 0) log.warn({ count: swept.length }, 'removed orphaned sandbox containers at start');

  const runtimes = await discoverRuntimes(docker, allManifests);
  const installed = runtimes.map((r) => r.manifest);
  if (installed.length === 0) log.warn('no runtime images installed; build them with images/cli.ts build');
  for (const r of runtimes)
    if (!r.current) log.warn({ language: r.manifest.language }, 'runtime image is out of date');

  const limitsFor = (m: RuntimeManifest): ProfileLimits => ({
    memoryMb: Math.max(config.defaultMemoryMb, m.compileLimits?.memoryMb ?? 0),
    pidsLimit: config.pidsLimit,
    nanoCpus: config.nanoCpus,
    workTmpfsMb: config.tmpfsMb,
    tmpTmpfsMb: m.tmpTmpfsMb ?? config.tmpfsMb,
    fileSizeBytes: config.tmpfsMb * 1024 * 1024,
    openFiles: 256,
  });
  const warmLanguages = installed
    .map((m) => m.language)
    .filter((l) => config.poolLanguages === undefined || config.poolLanguages.includes(l));
  const pool = new WarmPool({
    docker,
    logger: log,
    hostId: config.hostId,
    instanceId,
    manifests: installed,
    warmLanguages,
    targetSize: config.poolSize,
    refillConcurrency: config.poolRefillConcurrency,
    refillDelayMs: config.poolRefillDelayMs,
    limitsFor,
  });
  let metrics: HostMetrics | undefined;
  const service = new RunService({
    pool,
    cgroup: cgroupV1Reader(config.cgroupRoot, config.cgroupParent),
    logger: log,
    manifests: installed,
    maxRunning: config.maxConcurrentRuns,
    maxQueued: config.maxQueuedRuns,
    defaultTimeoutMs: config.defaultTimeoutMs,
    maxTimeoutMs: config.maxTimeoutMs,
    defaultMemoryMb: config.defaultMemoryMb,
    maxMemoryMb: config.maxMemoryMb,
    maxOutputBytes: config.maxOutputBytes,
    now,
    onResult(language, result, warm) {
      metrics?.runs.inc({ language, status: result.status });
      metrics?.duration.observe({ language, warm: String(warm) }, result.wallMs / 1000);
    },
  });
  metrics = new HostMetrics({
    poolSizes: () => pool.sizes(),
    queued: () => service.queued,
    running: () => service.running,
  });
  const verify = await createTokenVerifier({ publicJwk: config.edgePublicJwk, hostId: config.hostId, now });

  const runtimesBody = JSON.stringify(runtimesAnswer(config, runtimes));

  let draining = false;
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return json(res, 405, { error: { code: 'method_not_allowed' } });
    switch (path) {
      case '/healthz':
        return json(res, 200, { ok: true });
      case '/readyz': {
        const engine = await docker.ping().then(
          () => true,
          () => false,
        );
        const checks = {
          engine,
          images: installed.length > 0,
          capacity: service.hasCapacity(),
          accepting: !draining,
        };
        const ready = Object.values(checks).every(Boolean);
        return json(res, ready ? 200 : 503, {
          ready,
          checks,
          pool: pool.sizes(),
          running: service.running,
          queued: service.queued,
        });
      }
      case '/metrics': {
        const body = await metrics?.registry.metrics();
        res.writeHead(200, { 'content-type': metrics?.registry.contentType ?? 'text/plain' });
        res.end(body);
        return;
      }
      case HOST_PATHS.runtimes:
        return json(res, 200, runtimesBody);
      default:
        return json(res, 404, { error: { code: 'not_found' } });
    }
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      log.error({ err }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: { code: 'internal' } });
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;

  const wss = new WebSocketServer({
    noServer: true,
    // The hard ceiling; frames between maxClientFrameBytes and this get a polite `frame_too_large`.
    maxPayload: LIMITS.maxClientFrameBytes * 2,
    perMessageDeflate: false,
  });

  const refuse = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const path = (req.url ?? '/').split('?')[0];
    if (path !== RUN_PATH) return refuse(socket, 404, 'Not Found');
    if (draining) return refuse(socket, 503, 'Service Unavailable');
    verify(req.headers.authorization).then(
      (result) => {
        if (!result.ok) {
          metrics?.tokenRejections.inc({ reason: result.reason });
          // Failed authentication is tracked (reason and peer address), never with the token itself.
          log.warn({ reason: result.reason, remoteAddress: req.socket.remoteAddress }, 'run token rejected');
          return refuse(socket, 401, 'Unauthorized');
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          handleConnection({
            socket: ws,
            token: result.value,
            service,
            logger: log,
            idleTimeoutMs: config.idleTimeoutMs,
            maxFrameBytes: LIMITS.maxClientFrameBytes,
          });
        });
      },
      (err: unknown) => {
        log.error({ err }, 'token verification failed');
        refuse(socket, 500, 'Internal Server Error');
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  pool.start();

  const sweepTimer = setInterval(() => {
    sweepOrphans({
      docker,
      hostId: config.hostId,
      instanceId,
      owned: () => service.ownedContainerIds(),
      nowMs: now(),
      graceMs: 60_000,
    }).then(
      (ids) => {
        if (ids.length > 0) {
          metrics?.orphansRemoved.inc(ids.length);
          log.warn({ count: ids.length }, 'removed orphaned sandbox containers');
        }
      },
      (err: unknown) => log.error({ err }, 'orphan sweep failed'),
    );
  }, config.orphanSweepIntervalMs);
  sweepTimer.unref();

  log.info(
    {
      host: config.host,
      port,
      languages: installed.map((m) => m.language),
      warm: warmLanguages,
      poolSize: config.poolSize,
    },
    'sandbox host listening',
  );

  let shutdownPromise: Promise<void> | undefined;
  async function doShutdown(): Promise<void> {
    draining = true;
    service.stopAccepting();
    clearInterval(sweepTimer);
    server.close();
    log.info({ running: service.running, queued: service.queued }, 'shutting down: draining runs');
    const drained = await Promise.race([
      service.idle().then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), config.drainTimeoutMs).unref()),
    ]);
    if (!drained) {
      log.warn('drain timeout: cancelling remaining runs');
      service.cancelAll();
      await service.idle();
    }
    await pool.close();
    for (const client of wss.clients) client.close(1001, 'shutting down');
    // Anything left with our labels (e.g. a creation that raced the shutdown) goes too.
    await sweepAll();
    server.closeAllConnections();
    log.info('shutdown complete');
  }

  return {
    port,
    instanceId,
    runtimes,
    service,
    pool,
    shutdown() {
      shutdownPromise ??= doShutdown();
      return shutdownPromise;
    },
  };
}
