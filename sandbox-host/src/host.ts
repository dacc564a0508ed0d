/**
 * Composition root of the sandbox host: the lifecycle (engine, orphan sweep, warm pool, run service,
 * shutdown drain; lifecycle.ts) behind the HTTP surface (routes and the authenticated WebSocket upgrade;
 * server/http.ts). Everything it needs (config, Docker client, logger, clock) is passed in.
 */
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { HostConfig } from './config.ts';
import { startLifecycle } from './lifecycle.ts';
import type { WarmPool } from './runner/pool.ts';
import type { RunService } from './runner/service.ts';
import type { InstalledRuntime } from './runtimes.ts';
import { startHttpSurface } from './server/http.ts';

export { RUN_PATH } from './server/upgrade.ts';

interface HostDeps {
  docker: Docker;
  logger: Logger;
  now: () => number;
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
  const { docker, now } = deps;
  const log = deps.logger.child({ hostId: config.hostId });

  const core = await startLifecycle(config, { docker, log, now });
  const http = await startHttpSurface({
    config,
    docker,
    log,
    now,
    runtimes: core.runtimes,
    pool: core.pool,
    service: core.service,
    metrics: core.metrics,
    cgroupLayout: core.cgroupLayout,
  });
  core.run();
  log.info(
    {
      host: config.host,
      port: http.port,
      languages: core.installed.map((m) => m.language),
      warm: core.warmLanguages,
      poolSize: config.poolSize,
    },
    'sandbox host listening',
  );

  let shutdownPromise: Promise<void> | undefined;
  return {
    port: http.port,
    instanceId: core.instanceId,
    runtimes: core.runtimes,
    service: core.service,
    pool: core.pool,
    shutdown() {
      shutdownPromise ??= core.shutdown(http);
      return shutdownPromise;
    },
  };
}
