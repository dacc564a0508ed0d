/**
 * The black-box system under test: `wrangler dev` (the edge, as `npm start` runs it) and a real
 * sandbox host, both on 127.0.0.1 with ports of their own and a fresh key pair, so the suite can run
 * beside a developer's `npm start`. Teardown stops both and removes the temp state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startProviderServers } from '../edge/test/tasks/harness/provider-servers.ts';
import { generateDevSecrets } from '../scripts/dev-secrets.ts';
import { startEdgeProcess } from './support/edge-process.ts';
import { startHostProcess } from './support/host-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    system: {
      edgeUrl: string;
      hostId: string;
      /** The edge's local state (D1 …), for operator steps such as `npm run admin:grant -- --persist-to`. */
      persistTo: string;
      /** Control API of the local model providers (edge/test/tasks/harness/provider-servers.ts). */
      modelsControlUrl: string;
    };
  }
}

export default async function setup(project: TestProject) {
  const secrets = await generateDevSecrets();
  const stateDir = mkdtempSync(join(tmpdir(), 'airlock-e2e-'));
  const host = await startHostProcess({
    edgePublicJwk: secrets.sandboxHost.EDGE_PUBLIC_JWK,
    env: { POOL_SIZE: '1', POOL_LANGUAGES: 'python' },
  });
  // The model providers the tasks page talks to, on 127.0.0.1 (the edge suite's own servers).
  let models: Awaited<ReturnType<typeof startProviderServers>> | undefined;
  let edge: Awaited<ReturnType<typeof startEdgeProcess>>;
  try {
    models = await startProviderServers();
    edge = await startEdgeProcess({
      stateDir,
      vars: {
        ...secrets.worker,
        SANDBOX_HOSTS: JSON.stringify([{ id: host.id, url: host.url }]),
        // Every client here comes from 127.0.0.1: per-IP sign-up limits would throttle the suite itself.
        RATE_LIMIT_REGISTER: '100/1m',
        RATE_LIMIT_LOGIN: '100/1m',
        OPENAI_BASE_URL: models.baseUrls.openai,
        TASK_MODELS_OPENAI: 'gpt-local,gpt-local-mini',
      },
    });
  } catch (err) {
    await models?.close();
    await host.stop(10_000);
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  project.provide('system', {
    edgeUrl: edge.url,
    hostId: host.id,
    persistTo: join(stateDir, 'state'),
    modelsControlUrl: models.controlUrl,
  });
  return async () => {
    await edge.stop();
    await models?.close();
    await host.stop(10_000);
    rmSync(stateDir, { recursive: true, force: true });
  };
}
