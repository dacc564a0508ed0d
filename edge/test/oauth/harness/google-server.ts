/**
 * Google's side for the OAuth tests: `oauth2-mock-server`, a real OpenID Connect server on
 * 127.0.0.1 that signs RS256 ID tokens with a key it publishes as JWKS. Its hooks let each test
 * choose who signs in and how the ID token is broken, through extra query parameters on the
 * authorization request (the test adds them when it follows the edge's redirect):
 *   test_sub, test_email, test_email_verified=false, test_auth_time (epoch s), test_tamper=
 *   aud | iss | nonce | expired | alg_none.
 * Like Google, the token endpoint refuses a code whose authorization had a PKCE challenge when the
 * exchange sends no verifier (the mock alone checks the verifier only when one is sent).
 */
import { OAuth2Server } from 'oauth2-mock-server';

export const GOOGLE_TEST_CLIENT = { id: 'airlock-test-google', secret: 'google-test-secret' };

interface Scenario {
  sub: string;
  email: string | null;
  emailVerified: boolean;
  authTime: number | null;
  tamper: string | null;
  challenged: boolean;
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

export async function startGoogleServer(): Promise<{ issuer: string; close(): Promise<void> }> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  const scenarios = new Map<string, Scenario>();

  server.service.on('beforeAuthorizeRedirect', (redirect: { url: URL }, req: { url?: string }) => {
    const code = redirect.url.searchParams.get('code');
    if (!code) return;
    const q = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    const sub = q.get('test_sub') ?? 'google-user';
    scenarios.set(code, {
      sub,
      email: q.get('test_email') ?? `${sub}@example.test`,
      emailVerified: q.get('test_email_verified') !== 'false',
      authTime: q.has('test_auth_time') ? Number(q.get('test_auth_time')) : null,
      tamper: q.get('test_tamper'),
      challenged: q.has('code_challenge'),
    });
  });

  server.service.on(
    'beforeTokenSigning',
    (
      token: { header: Record<string, unknown>; payload: Record<string, unknown> },
      req: { body?: unknown },
    ) => {
      const code = (req.body as { code?: string } | undefined)?.code;
      const s = code ? scenarios.get(code) : undefined;
      // The access token carries `scope`; only the ID token is shaped here.
      if (!s || 'scope' in token.payload) return;
      const now = Math.floor(Date.now() / 1000);
      Object.assign(token.payload, {
        sub: s.sub,
        email_verified: s.emailVerified,
        auth_time: s.authTime ?? now,
        ...(s.email ? { email: s.email } : {}),
      });
      if (s.tamper === 'aud') token.payload.aud = 'someone-elses-client';
      if (s.tamper === 'iss') token.payload.iss = 'https://accounts.evil.test';
      if (s.tamper === 'nonce') token.payload.nonce = 'not-the-nonce';
      if (s.tamper === 'expired')
        Object.assign(token.payload, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
    },
  );

  server.service.on(
    'beforeResponse',
    (response: { body: Record<string, unknown> | ''; statusCode: number }, req: { body?: unknown }) => {
      const body = req.body as { code?: string; code_verifier?: string } | undefined;
      const s = body?.code ? scenarios.get(body.code) : undefined;
      if (!s) return;
      scenarios.delete(body?.code ?? '');
      if (s.challenged && !body?.code_verifier) {
        response.statusCode = 400;
        response.body = { error: 'invalid_grant', error_description: 'Missing code verifier.' };
        return;
      }
      if (s.tamper === 'alg_none' && response.body && typeof response.body.id_token === 'string') {
        // The same claims, unsigned (RFC 7519 §6.1): a client that honours `alg` would accept it.
        const payload = response.body.id_token.split('.')[1] ?? '';
        response.body.id_token = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`;
      }
    },
  );

  await server.start(0, '127.0.0.1');
  // The mock names itself `localhost`, which a browser may resolve to ::1, where nothing listens.
  const issuer = `http://127.0.0.1:${server.address().port}`;
  server.issuer.url = issuer;
  return { issuer, close: () => server.stop() };
}
