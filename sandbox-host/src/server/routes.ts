/**
 * The plain HTTP routes: liveness, readiness (engine, images, capacity, not draining), Prometheus
 * metrics and the installed runtimes with their limits. GET only; everything else is 404 or 405.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HOST_PATHS } from '@airlock/protocol';
import type Docker from 'dockerode';
import type { HostConfig } from '../config.ts';
import type { CgroupLayout } from '../docker/cgroup.ts';
import type { WarmPool } from '../runner/pool.ts';
import type { RunService } from '../runner/service.ts';
import { type InstalledRuntime, runtimesAnswer } from '../runtimes.ts';
import type { HostMetrics } from './metrics.ts';

interface RouteDeps {
  config: HostConfig;
  docker: Docker;
  runtimes: readonly InstalledRuntime[];
  pool: WarmPool;
  service: RunService;
  metrics: HostMetrics;
  /** Which cgroup layout the accounting reads: shown in /readyz with the sandbox runtime. */
  cgroupLayout: CgroupLayout;
  /** True once shutdown began: readiness fails so balancers stop sending runs. */
  draining: () => boolean;
}

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export function createRoutes(d: RouteDeps): RequestHandler {
  // The runtimes and their limits are fixed for the life of the process: serialized once.
  const runtimesBody = JSON.stringify(runtimesAnswer(d.config, d.runtimes));
  const hasImages = d.runtimes.length > 0;

  return async function onRequest(req, res) {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return json(res, 405, { error: { code: 'method_not_allowed' } });
    switch (path) {
      case '/healthz':
        return json(res, 200, { ok: true });
      case '/readyz': {
        const engine = await d.docker.ping().then(
          () => true,
          () => false,
        );
        const checks = {
          engine,
          images: hasImages,
          capacity: d.service.hasCapacity(),
          accepting: !d.draining(),
        };
        const ready = Object.values(checks).every(Boolean);
        return json(res, ready ? 200 : 503, {
          ready,
          checks,
          pool: d.pool.sizes(),
          running: d.service.running,
          queued: d.service.queued,
          admission: d.service.admission(),
          runtime: d.config.sandboxRuntime,
          cgroup: d.cgroupLayout,
        });
      }
      case '/metrics': {
        const body = await d.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': d.metrics.registry.contentType });
        res.end(body);
        return;
      }
      case HOST_PATHS.runtimes:
        return json(res, 200, runtimesBody);
      default:
        return json(res, 404, { error: { code: 'not_found' } });
    }
  };
}
