/**
 * Local OAuth providers for development: the same Google (OpenID Connect, oauth2-mock-server) and
 * GitHub-shaped servers the edge tests use, on 127.0.0.1, until Ctrl-C. Prints the environment to
 * give `npm start` (scripts/write-dev-vars.ts passes it into .dev.vars), e.g.:
 *   node scripts/dev-oauth.ts            # in one terminal; copy the printed line
 *   env GOOGLE_CLIENT_ID=… … npm start   # in another
 * Each "sign-in" is immediate (no login page): the servers sign in a fixed local user unless the
 * authorization URL carries test_email / test_sub / test_id (see edge/test/oauth/harness/).
 */

import { startGithubServer } from '../edge/test/oauth/harness/github-server.ts';
import { oauthBindings } from '../edge/test/oauth/harness/global-setup.ts';
import { startGoogleServer } from '../edge/test/oauth/harness/google-server.ts';

const google = await startGoogleServer();
const github = await startGithubServer();
const env = oauthBindings(google.issuer, github.baseUrl);
const line = Object.entries(env)
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');
console.log(`Local OAuth servers are up (Google ${google.issuer}, GitHub ${github.baseUrl}).`);
console.log('Start Airlock with them (another terminal):\n');
console.log(`  env ${line} npm start\n`);
console.log('Ctrl-C stops the servers.');

const stop = async () => {
  await google.close();
  await github.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
