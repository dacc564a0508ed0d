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
