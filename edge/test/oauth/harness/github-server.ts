/**
 * A GitHub-shaped OAuth server for the tests (Node, 127.0.0.1), written from GitHub's documentation
 * ("Authorizing OAuth apps", REST "Users" and "Emails"):
 * - `GET /login/oauth/authorize`: issues a single-use code for the redirect_uri, keeping the PKCE
 *   challenge (S256) when one is sent;
 * - `POST /login/oauth/access_token`: client id and secret (HTTP Basic or form), the code, the same
 *   redirect_uri and the PKCE verifier; JSON when asked with `Accept: application/json`. Like GitHub,
 *   a bad code is answered 200 with `{"error": "bad_verification_code"}`;
 * - `GET /api/user` and `GET /api/user/emails` with `Authorization: Bearer` (the API base is
 *   `<server>/api`, as GITHUB_API_URL is an operator setting).
 * Who signs in is chosen per authorization by extra query parameters the test adds:
 *   test_id (numeric), test_email, test_email_verified=false (the primary address unverified; a
 *   verified secondary address is always listed, and must not be used).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const GITHUB_TEST_CLIENT = { id: 'airlock-test-github', secret: 'github-test-secret' };

interface Grant {
  redirectUri: string;
  challenge: string | null;
  user: { id: number; email: string; emailVerified: boolean };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function clientOf(req: IncomingMessage, form: URLSearchParams): { id: string; secret: string } | null {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (basic) {
    const [id = '', secret = ''] = Buffer.from(basic, 'base64').toString('utf8').split(':');
    return { id, secret };
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id && secret ? { id, secret } : null;
}

export async function startGithubServer(): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, Grant['user']>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri');
      if (q.get('client_id') !== GITHUB_TEST_CLIENT.id || !redirectUri)
        return json(res, 400, { error: 'bad_request' });
      if (q.has('code_challenge') && q.get('code_challenge_method') !== 'S256')
        return json(res, 400, { error: 'unsupported_challenge_method' });
      const code = randomBytes(16).toString('hex');
      const id = Number(q.get('test_id') ?? '4242');
      grants.set(code, {
        redirectUri,
        challenge: q.get('code_challenge'),
        user: {
          id,
          email: q.get('test_email') ?? `octo-${id}@example.test`,
          emailVerified: q.get('test_email_verified') !== 'false',
        },
      });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      const state = q.get('state');
      if (state) back.searchParams.set('state', state);
      res.writeHead(302, { location: back.toString() });
      res.end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(await readBody(req));
      const client = clientOf(req, form);
      if (client?.id !== GITHUB_TEST_CLIENT.id || client.secret !== GITHUB_TEST_CLIENT.secret)
        return json(res, 200, { error: 'incorrect_client_credentials' });
      const code = form.get('code') ?? '';
      const grant = grants.get(code);
      grants.delete(code);
      if (!grant || form.get('redirect_uri') !== grant.redirectUri)
        return json(res, 200, { error: 'bad_verification_code' });
      if (grant.challenge !== null) {
        const verifier = form.get('code_verifier') ?? '';
        const derived = createHash('sha256').update(verifier).digest('base64url');
        if (derived !== grant.challenge) return json(res, 200, { error: 'bad_verification_code' });
      }
      const token = `gho_${randomBytes(20).toString('hex')}`;
      tokens.set(token, grant.user);
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const user = bearer ? tokens.get(bearer) : undefined;
    if (req.method === 'GET' && (url.pathname === '/api/user' || url.pathname === '/api/user/emails')) {
      if (!user) return json(res, 401, { message: 'Requires authentication' });
      if (!req.headers['user-agent']) return json(res, 403, { message: 'User-Agent required' });
      if (url.pathname === '/api/user')
        return json(res, 200, { id: user.id, login: `octo${user.id}`, email: null });
      return json(res, 200, [
        { email: `secondary-${user.id}@example.test`, primary: false, verified: true, visibility: null },
        { email: user.email, primary: true, verified: user.emailVerified, visibility: 'private' },
      ]);
    }
    json(res, 404, { message: 'Not Found' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => json(res, 500, { message: 'error' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
