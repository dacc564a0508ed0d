/**
 * Global setup of the edge suite for the OAuth tests (Node; workerd cannot start servers): the
 * Google OpenID Connect server and the GitHub-shaped server on 127.0.0.1. The Worker gets their
 * endpoints as the operator settings and the test client credentials as its secrets, via `inject`
 * (vitest.config.mts). Teardown closes both.
 */
import type { TestProject } from 'vitest/node';
import { GITHUB_TEST_CLIENT, startGithubServer } from './github-server.ts';
import { GOOGLE_TEST_CLIENT, startGoogleServer } from './google-server.ts';

export interface OAuthHarness {
  bindings: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    oauthHarness: OAuthHarness;
  }
}

/** The Worker vars that point the edge at the two servers (also what `scripts/dev-oauth.ts` prints). */
export function oauthBindings(googleIssuer: string, githubBase: string): Record<string, string> {
  return {
    GOOGLE_CLIENT_ID: GOOGLE_TEST_CLIENT.id,
    GOOGLE_CLIENT_SECRET: GOOGLE_TEST_CLIENT.secret,
    GOOGLE_AUTHORIZE_URL: `${googleIssuer}/authorize`,
    GOOGLE_TOKEN_URL: `${googleIssuer}/token`,
    GOOGLE_JWKS_URL: `${googleIssuer}/jwks`,
    GOOGLE_ISSUERS: googleIssuer,
    GITHUB_CLIENT_ID: GITHUB_TEST_CLIENT.id,
    GITHUB_CLIENT_SECRET: GITHUB_TEST_CLIENT.secret,
    GITHUB_AUTHORIZE_URL: `${githubBase}/login/oauth/authorize`,
    GITHUB_TOKEN_URL: `${githubBase}/login/oauth/access_token`,
    GITHUB_API_URL: `${githubBase}/api`,
  };
}

export default async function setup(project: TestProject) {
  const google = await startGoogleServer();
  const github = await startGithubServer();
  project.provide('oauthHarness', { bindings: oauthBindings(google.issuer, github.baseUrl) });
  return async () => {
    await google.close();
    await github.close();
  };
}
