import { env } from 'cloudflare:test';
import {
  authFetch,
  authHeaders,
  confirmEmailOf,
  jsonInit,
  type RegisteredUser,
  registerUser,
} from '../helpers.ts';

/** Worker secrets are not in the generated `Env` type (they are not vars); tests override them through this. */
export function secretOverrides(secrets: Record<string, string>): Partial<Env> {
  return secrets as unknown as Partial<Env>;
}

export type Caller = { token: string; orgId?: string };

/** A request as `caller` (an access token or an API key), optionally in an organization. */
export function as(
  caller: Caller | string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  overrides: Partial<Env> = {},
): Promise<Response> {
  const c = typeof caller === 'string' ? { token: caller } : caller;
  const headers: Record<string, string> = { ...authHeaders(c.token), ...init.headers };
  if (c.orgId) headers['X-Org-Id'] = c.orgId;
  const request =
    init.body === undefined
      ? { method: init.method ?? 'GET', headers }
      : jsonInit(init.method ?? 'POST', init.body, headers);
  return authFetch(path, request, overrides);
}

export async function json<T = Record<string, unknown>>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export interface Tenant {
  user: RegisteredUser;
  token: string;
  personalOrgId: string;
}

/** A registered user who confirmed their address (invitations reach confirmed addresses only). */
export async function tenant(): Promise<Tenant> {
  const user = await registerUser();
  await confirmEmailOf(user.user.email);
  const orgs = await json<{ orgs: { id: string; personal: boolean }[] }>(
    await as(user.accessToken, '/v1/orgs'),
    200,
  );
  const personal = orgs.orgs.find((o) => o.personal);
  if (!personal) throw new Error('no personal org');
  return { user, token: user.accessToken, personalOrgId: personal.id };
}

export async function createOrg(t: Tenant, name = 'Team'): Promise<string> {
  return (await json<{ id: string }>(await as(t.token, '/v1/orgs', { body: { name } }), 201)).id;
}

export async function mintApiKey(
  t: Tenant,
  options: { scopes?: string[]; orgId?: string; expiresAt?: string; name?: string } = {},
): Promise<{ id: string; key: string; prefix: string }> {
  const res = await as({ token: t.token, orgId: options.orgId }, '/v1/api-keys', {
    body: {
      name: options.name ?? 'ci',
      scopes: options.scopes ?? ['runs:read', 'runs:write'],
      ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
    },
  });
  return json(res, 201);
}

export async function setAdmin(userId: string, isAdmin: boolean): Promise<void> {
  await env.DB.prepare('UPDATE users SET is_admin = ? WHERE id = ?')
    .bind(isAdmin ? 1 : 0, userId)
    .run();
}

/** A snapshot of every tenant table, to prove that refused requests changed nothing. */
export async function snapshot(): Promise<string> {
  const tables = ['orgs', 'memberships', 'provider_keys', 'api_keys', 'runs', 'users'];
  const out: Record<string, unknown> = {};
  for (const t of tables) out[t] = (await env.DB.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()).results;
  return JSON.stringify(out);
}

/** `by` invites `who` into `orgId` (202) and `who` accepts: the only way in (issue 12). */
export async function addMember(
  by: Tenant,
  orgId: string,
  who: Tenant,
  role: 'admin' | 'member' = 'member',
): Promise<void> {
  const invited = await json<{ invitation: { id: string } }>(
    await as(by.token, `/v1/orgs/${orgId}/members`, { body: { email: who.user.user.email, role } }),
    202,
  );
  await json(await as(who.token, `/v1/invitations/${invited.invitation.id}/accept`, { method: 'POST' }), 200);
}
