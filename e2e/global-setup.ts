/**
 * The black-box system under test: `wrangler dev` (the edge, as `npm start` runs it) and a real
 * sandbox host, both on 127.0.0.1 with ports of their own and a fresh key pair, so the suite can run
 * beside a developer's `npm start`, and a local OpenAI-compatible provider the edge's tasks call.
 * Teardown stops them and removes the temp state.
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
import { openAiVars, startOpenAiServer } from './support/openai-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    system: {
      edgeUrl: string;
      hostId: string;
      /** The edge's local state (D1 …), for operator steps such as `npm run admin:grant -- --persist-to`. */
      persistTo: string;
      /** Where tests script the local model provider (support/openai-server.ts). */
      openaiControlUrl: string;
    };
  }
}

export default async function setup(project: TestProject) {
  const secrets = await generateDevSecrets();
  const stateDir = mkdtempSync(join(tmpdir(), 'airlock-e2e-'));
  const openai = await startOpenAiServer();
  const host = await startHostProcess({
    edgePublicJwk: secrets.sandboxHost.EDGE_PUBLIC_JWK,
    env: { POOL_SIZE: '1', POOL_LANGUAGES: 'python' },
  }).catch(async (err: unknown) => {
    await openai.close();
    throw err;
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
        // The default quota (30 a minute) over a shorter window: looser for every other test, and the
        // CLI's 429 test waits out a real Retry-After in seconds rather than a minute.
        RATE_LIMIT_RUNS: '30/20s',
        // The models the console's picker lists and the client and CLI tests ask for.
        ...openAiVars(openai, ['gpt-local', 'gpt-local-mini', 'local-coder']),
      },
    });
  } catch (err) {
    await host.stop(10_000);
    await openai.close();
    await google.close();
    await github.close();
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  project.provide('system', {
    edgeUrl: edge.url,
    hostId: host.id,
    persistTo: join(stateDir, 'state'),
    openaiControlUrl: openai.controlUrl,
  });
  return async () => {
    await edge.stop();
    await host.stop(10_000);
    await openai.close();
    await google.close();
    await github.close();
    rmSync(stateDir, { recursive: true, force: true });
  };
}
