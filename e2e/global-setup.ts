/**
 * The black-box system under test: `wrangler dev` (the edge, as `npm start` runs it) and a real
 * sandbox host, both on 127.0.0.1 with ports of their own and a fresh key pair, so the suite can run
 * beside a developer's `npm start`. Teardown stops both and removes the temp state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startGithubServer } from '../edge/test/oauth/harness/github-server.ts';
import { oauthBindings } from '../edge/test/oauth/harness/global-setup.ts';
import { startGoogleServer } from '../edge/test/oauth/harness/google-server.ts';
import { generateDevSecrets } from '../scripts/dev-secrets.ts';
import { freePort, startEdgeProcess } from './support/edge-process.ts';
import { startHostProcess } from './support/host-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    system: { edgeUrl: string; hostId: string };
  }
}

export default async function setup(project: TestProject) {
  const secrets = await generateDevSecrets();
  const stateDir = mkdtempSync(join(tmpdir(), 'airlock-e2e-'));
  const host = await startHostProcess({
    edgePublicJwk: secrets.sandboxHost.EDGE_PUBLIC_JWK,
    env: { POOL_SIZE: '1', POOL_LANGUAGES: 'python' },
  });
  // Sign in with Google and GitHub (issue 14): the local providers, and the edge's own origin for
  // the callback and the console it returns to.
  const google = await startGoogleServer();
  const github = await startGithubServer();
  const port = await freePort();
  const edgeOrigin = `http://127.0.0.1:${port}`;
  let edge: Awaited<ReturnType<typeof startEdgeProcess>>;
  try {
    edge = await startEdgeProcess({
      stateDir,
      port,
      vars: {
        ...oauthBindings(google.issuer, github.baseUrl),
        OAUTH_CALLBACK_BASE_URL: edgeOrigin,
        CONSOLE_URL: edgeOrigin,
        ...secrets.worker,
        SANDBOX_HOSTS: JSON.stringify([{ id: host.id, url: host.url }]),
        // Every client here comes from 127.0.0.1: per-IP sign-up limits would throttle the suite itself.
        RATE_LIMIT_REGISTER: '100/1m',
        RATE_LIMIT_LOGIN: '100/1m',
      },
    });
  } catch (err) {
    await host.stop(10_000);
    await google.close();
    await github.close();
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  project.provide('system', { edgeUrl: edge.url, hostId: host.id });
  return async () => {
    await edge.stop();
    await host.stop(10_000);
    await google.close();
    await github.close();
    rmSync(stateDir, { recursive: true, force: true });
  };
}
