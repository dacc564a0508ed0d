/**
 * The console's one HTTP client. Same origin as the API, so no CORS. The access token lives in this
 * module's memory only (never storage, never a cookie the page can read); a reload gets a new one
 * from POST /v1/auth/refresh through the HttpOnly refresh cookie (Path=/v1/auth). Every request says
 * `X-Airlock-Session: cookie` on the auth routes, so the edge may keep the refresh token out of the
 * JSON body (cookie-only mode) and the page never holds it.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string;
  constructor(status: number, code: string, message: string, requestId: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export interface SessionUser {
  id: string;
  email: string;
}

interface SessionAnswer {
  accessToken: string;
  expiresIn: number;
  user: SessionUser;
}

let accessToken: string | null = null;
let orgId: string | null = null;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

/** Called when the session ends (refresh refused, sign-out): the app shows the sign-in page. */
export function onSessionEnd(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function hasSession(): boolean {
  return accessToken !== null;
}

/** The organization requests act in (`X-Org-Id`); null = the personal organization. */
export function setOrg(id: string | null): void {
  orgId = id;
}
export function currentOrg(): string | null {
  return orgId;
}

function endSession(): void {
  accessToken = null;
  orgId = null;
  for (const l of listeners) l();
}

async function toError(res: Response): Promise<ApiError> {
  const requestId = res.headers.get('X-Request-Id') ?? '';
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; requestId?: string } };
    return new ApiError(
      res.status,
      body.error?.code ?? 'error',
      body.error?.message ?? `Request failed (${res.status}).`,
      body.error?.requestId || requestId,
    );
  } catch {
    return new ApiError(res.status, 'error', `Request failed (${res.status}).`, requestId);
  }
}

async function send(method: string, path: string, body: unknown, auth: boolean): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  if (auth && orgId) headers['X-Org-Id'] = orgId;
  if (path.startsWith('/v1/auth/')) headers['X-Airlock-Session'] = 'cookie';
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
}

/** One refresh at a time: parallel 401s share it (a second use of a rotated token revokes the family). */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const res = await send('POST', '/v1/auth/refresh', undefined, false);
      if (!res.ok) return false;
      accessToken = ((await res.json()) as SessionAnswer).accessToken;
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** An authenticated call: on 401 it refreshes once and retries; a refused refresh ends the session. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body, true);
  if (res.status === 401) {
    if (!(await refresh())) {
      endSession();
      throw await toError(res);
    }
    res = await send(method, path, body, true);
  }
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Sign-in and sign-up: the answer's access token is kept in memory; the refresh token is the cookie. */
export async function startSession(kind: 'login' | 'register', email: string, password: string) {
  const res = await send('POST', `/v1/auth/${kind}`, { email, password }, false);
  if (!res.ok) throw await toError(res);
  const answer = (await res.json()) as SessionAnswer;
  accessToken = answer.accessToken;
  return answer.user;
}

export async function signOut(): Promise<void> {
  try {
    await send('POST', '/v1/auth/logout', undefined, false);
  } finally {
    endSession();
  }
}

/** The session ended elsewhere (password change, account deletion): forget it here too. */
export function forgetSession(): void {
  endSession();
}

/** Social sign-in providers the edge offers; [] while the route does not exist (404) or fails. */
export async function authProviders(): Promise<{ id: string; name: string; url: string }[]> {
  try {
    const res = await send('GET', '/v1/auth/providers', undefined, false);
    if (!res.ok) return [];
    const body = (await res.json()) as { providers?: { id: string; name: string; url: string }[] };
    return Array.isArray(body.providers) ? body.providers : [];
  } catch {
    return [];
  }
}

/** Sudo mode with the password (POST /v1/auth/reauth): the fresh access token replaces the current one. */
export async function reauthenticate(password: string): Promise<void> {
  const answer = await api<{ accessToken: string }>('POST', '/v1/auth/reauth', { password });
  accessToken = answer.accessToken;
}

/**
 * Leaves the page for a provider round trip (re-verification or linking): the edge answers where to
 * go and sets the flow cookie; its callback brings the browser back to `redirect` on the console.
 */
export async function goToProvider(path: string, body: Record<string, unknown>): Promise<void> {
  const answer = await api<{ authorizationUrl: string }>('POST', path, body);
  const target = new URL(answer.authorizationUrl);
  // Only http(s): never let a response turn navigation into script.
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('unexpected provider URL');
  window.location.assign(target.toString());
}

/** The code a social sign-in callback left in the URL (`?oauth_error=`), once; the URL is cleaned. */
export function takeOAuthOutcome(): { error: string | null } {
  const params = new URLSearchParams(window.location.search);
  const error = params.get('oauth_error');
  if (params.has('oauth_error') || params.has('signed_in') || params.has('linked')) {
    window.history.replaceState(null, '', window.location.pathname);
  }
  return { error: error && /^[a-z_]{1,64}$/.test(error) ? error : null };
}

/**
 * Uploads one file (POST /v1/files?name=, the raw bytes) through XMLHttpRequest, the one browser API
 * that reports upload progress (fetch does not). Same headers and 401 handling as `api()`.
 */
export async function uploadFile<T>(
  file: Blob,
  name: string,
  onProgress: (sent: number, total: number) => void,
) {
  const once = () =>
    new Promise<{ status: number; body: string; requestId: string }>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/v1/files?name=${encodeURIComponent(name)}`);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      if (accessToken) xhr.setRequestHeader('Authorization', `Bearer ${accessToken}`);
      if (orgId) xhr.setRequestHeader('X-Org-Id', orgId);
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () =>
        resolve({
          status: xhr.status,
          body: xhr.responseText,
          requestId: xhr.getResponseHeader('X-Request-Id') ?? '',
        });
      xhr.onerror = () => reject(new Error('The upload failed: network error.'));
      xhr.onabort = () => reject(new Error('The upload was cancelled.'));
      xhr.send(file);
    });
  let res = await once();
  if (res.status === 401) {
    if (!(await refresh())) {
      endSession();
      throw await toError(new Response(res.body, { status: res.status }));
    }
    res = await once();
  }
  if (res.status < 200 || res.status >= 300) {
    const headers = new Headers({ 'X-Request-Id': res.requestId });
    throw await toError(new Response(res.body, { status: res.status, headers }));
  }
  return JSON.parse(res.body) as T;
}
