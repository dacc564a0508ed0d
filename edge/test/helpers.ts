import { env, SELF } from 'cloudflare:test';
import { createApp } from '../src/app.ts';

/** Drive the real Worker entry point (the fetch handler wrangler would run). */
export function fetchWorker(path: string, init?: RequestInit): Promise<Response> {
  return SELF.fetch(new URL(path, 'http://127.0.0.1:8787').toString(), init);
}

/** Drive a fresh app with the test env plus overrides, e.g. a different allowlist. */
export async function fetchApp(url: string, init: RequestInit = {}, overrides: Partial<Env> = {}) {
  return (await fetchAppLogged(url, init, overrides)).res;
}

/** Same as fetchApp, also returning the JSON log lines the request produced. */
export async function fetchAppLogged(url: string, init: RequestInit = {}, overrides: Partial<Env> = {}) {
  const logs: string[] = [];
  const app = createApp({ logSink: (line) => logs.push(line) });
  const res = await app.request(url, init, { ...env, ...overrides });
  return { res, logs };
}

export const EXPECTED_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'content-security-policy': "default-src 'none'; frame-ancestors 'self'",
  'x-frame-options': 'SAMEORIGIN',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function expectSecurityHeaders(res: Response): void {
  for (const [name, value] of Object.entries(EXPECTED_HEADERS)) {
    if (res.headers.get(name) !== value) {
      throw new Error(
        `header ${name}: expected ${JSON.stringify(value)}, got ${JSON.stringify(res.headers.get(name))}`,
      );
    }
  }
  const permissions = res.headers.get('permissions-policy') ?? '';
  for (const feature of ['camera=()', 'microphone=()', 'geolocation=()', 'payment=()', 'usb=()']) {
    if (!permissions.includes(feature))
      throw new Error(`Permissions-Policy lacks ${feature}: ${permissions}`);
  }
  for (const name of ['x-powered-by', 'server']) {
    if (res.headers.has(name)) throw new Error(`unexpected header ${name}`);
  }
  if (!res.headers.get('x-request-id')) throw new Error('missing X-Request-Id');
}

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; fields?: { field: string; problem: string }[] };
}

export async function errorOf(res: Response): Promise<ErrorBody['error']> {
  const body = (await res.json()) as ErrorBody;
  if (body.error.requestId !== res.headers.get('x-request-id'))
    throw new Error('requestId in body differs from header');
  return body.error;
}

// ── Accounts (issue 3) ─────────────────────────────────────────────────────────────────────────

/**
 * Cheap Argon2id parameters for tests that are not about hashing (the default, m = 19 MiB, t = 2,
 * costs ≈ 200 ms a hash). Tests about hashing use the real defaults.
 */
export const FAST_HASH_ENV = {
  PASSWORD_HASH_MEMORY_KIB: '64',
  PASSWORD_HASH_ITERATIONS: '1',
} as Partial<Env>;

let ipCounter = 0;
/** A fresh client IP (TEST-NET-2/3 and a per-file random octet) so per-IP limits never collide across tests. */
export function uniqueIp(): string {
  ipCounter += 1;
  const salt = Math.floor(Math.random() * 200);
  return `198.${18 + (ipCounter >> 16)}.${(salt + (ipCounter >> 8)) & 255}.${ipCounter & 255}`;
}

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${crypto.randomUUID()}@example.test`;
}

/** fetchApp with cheap password hashing and, unless given, a fresh client IP. */
export function authFetch(path: string, init: RequestInit = {}, overrides: Partial<Env> = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', uniqueIp());
  return fetchApp(
    new URL(path, 'http://127.0.0.1:8787').toString(),
    { ...init, headers },
    {
      ...FAST_HASH_ENV,
      ...overrides,
    },
  );
}

export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function authHeaders(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

export interface RegisteredUser {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string };
  password: string;
}

export const TEST_PASSWORD = 'correct horse battery staple 42';

/** Registers a fresh user (unique email, unique client IP) and returns its session. */
export async function registerUser(
  email: string = uniqueEmail(),
  password: string = TEST_PASSWORD,
): Promise<RegisteredUser> {
  const res = await authFetch('/v1/auth/register', jsonInit('POST', { email, password }));
  if (res.status !== 201) throw new Error(`registerUser: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as Omit<RegisteredUser, 'password'>;
  return { ...body, password };
}

// ── Email confirmation (issue 14) ──────────────────────────────────────────────────────────────

/** The token of the newest confirmation mail the outbox holds for `email` ('' if none). */
export async function verificationTokenFor(email: string): Promise<string> {
  const row = await env.DB.prepare(
    "SELECT body FROM outbox WHERE recipient = ? AND kind = 'email_verification' ORDER BY created_at DESC",
  )
    .bind(email)
    .first<{ body: string }>();
  return /#token=(ev_[A-Za-z0-9_-]+)/.exec(row?.body ?? '')?.[1] ?? '';
}

/** Follows the confirmation link from the outbox, as the owner of the address would. */
export async function confirmEmailOf(email: string): Promise<void> {
  const token = await verificationTokenFor(email);
  const res = await authFetch('/v1/auth/email/verify', jsonInit('POST', { token }));
  if (res.status !== 204) throw new Error(`confirmEmailOf: ${res.status} ${await res.text()}`);
}
