/**
 * Global setup of the edge suite for the run tests (runs in Node, not workerd): a fresh Ed25519 pair,
 * a real sandbox host on 127.0.0.1 (ephemeral port) trusting its public half, and a small control
 * server on 127.0.0.1 that tests inside workerd call to start extra hosts and kill them (workerd
 * cannot spawn processes). The Worker gets the private half and SANDBOX_HOSTS through `inject`
 * (vitest.config.mts). Teardown kills every process started here and removes their containers.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { containersOf, type HostProcess, startHostProcess } from '../../../../e2e/support/host-process.ts';
import { generateDevSecrets } from '../../../../scripts/dev-secrets.ts';
import { startThrottle, type Throttle } from './throttle.ts';

export interface RunsHarness {
  /** Worker bindings for the run tests. */
  bindings: {
    SANDBOX_SIGNING_JWK: string;
    SANDBOX_HOSTS: string;
    RUNS_CONTROL_URL: string;
    /** Set when the host could not start: the run tests fail with it. */
    RUNS_HOST_ERROR: string;
  };
  hostId: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    runsHarness: RunsHarness;
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export default async function setup(project: TestProject) {
  const secrets = await generateDevSecrets();
  const publicJwk = secrets.sandboxHost.EDGE_PUBLIC_JWK;
  const hosts = new Map<string, HostProcess>();
  const throttles: Throttle[] = [];

  // Without a Docker engine the run tests fail with this reason; the rest of the edge suite still runs.
  let main: HostProcess | undefined;
  let hostError = '';
  try {
    main = await startHostProcess({
      edgePublicJwk: publicJwk,
      env: { POOL_SIZE: '1', POOL_LANGUAGES: 'python', MAX_CONCURRENT_RUNS: '4', MAX_QUEUED_RUNS: '16' },
    });
    hosts.set(main.id, main);
  } catch (err) {
    hostError = `the sandbox host for the run tests did not start (is the Docker engine up? bash scripts/docker-engine.sh): ${String(err).slice(0, 2000)}`;
  }

  const control = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const handle = async () => {
      const [, , id, action] = (req.url ?? '').split('/');
      if (req.method === 'POST' && req.url === '/throttles') {
        // A slow link to a host: {port, bytesPerSecond} → the proxy's port on 127.0.0.1.
        const body = await readJson(req);
        const throttle = await startThrottle(Number(body.port), Number(body.bytesPerSecond));
        throttles.push(throttle);
        return reply(201, { port: throttle.port });
      }
      if (req.method === 'POST' && req.url === '/hosts') {
        const body = await readJson(req);
        const host = await startHostProcess({
          edgePublicJwk: publicJwk,
          env: (body.env as Record<string, string> | undefined) ?? {},
        });
        hosts.set(host.id, host);
        return reply(201, { id: host.id, url: host.url });
      }
      const host = id ? hosts.get(id) : undefined;
      if (!host) return reply(404, { error: 'no such host' });
      if (req.method === 'POST' && action === 'kill') {
        await host.kill();
        hosts.delete(host.id);
        return reply(200, { killed: host.id });
      }
      if (req.method === 'POST' && action === 'stop') {
        await host.stop();
        hosts.delete(host.id);
        return reply(200, { stopped: host.id });
      }
      if (req.method === 'GET' && action === 'containers') {
        return reply(200, { containers: (await containersOf(host.id)).length });
      }
      return reply(404, { error: 'unknown action' });
    };
    handle().catch((err: unknown) => reply(500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

  project.provide('runsHarness', {
    hostId: main?.id ?? '',
    bindings: {
      SANDBOX_SIGNING_JWK: secrets.worker.SANDBOX_SIGNING_JWK as string,
      SANDBOX_HOSTS: JSON.stringify(main ? [{ id: main.id, url: main.url }] : []),
      RUNS_CONTROL_URL: controlUrl,
      RUNS_HOST_ERROR: hostError,
    },
  });

  return async () => {
    control.close();
    await Promise.all(throttles.map((t) => t.close()));
    await Promise.all([...hosts.values()].map((h) => h.stop(10_000)));
  };
}
