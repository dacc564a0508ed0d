/**
 * Who is calling. Set by the authentication middleware; everything downstream (repositories,
 * rate limits, audit) takes its ids from here, never from the request body.
 */
export type Principal =
  /** `authenticatedAt`: when the user last signed in or re-authenticated (epoch ms), for sudo mode. */
  | { kind: 'user'; userId: string; authenticatedAt: number }
  | { kind: 'api_key'; userId: string; orgId: string; apiKeyId: string; scopes: readonly string[] };

export type OrgRole = 'owner' | 'admin' | 'member';

/** The organization a request acts in (header `X-Org-Id`, default the personal one), membership checked. */
export interface OrgContext {
  id: string;
  role: OrgRole;
}
