/**
 * The tenant boundary. Every repository function that reads or writes a tenant-owned row takes the
 * scope it acts in and puts both ids in its WHERE clause, so a row of another organization, or of
 * another user of the same organization, is never found (routes answer 404, never 403). Routes get
 * it from the request (`requestScope` in middleware/org-context.ts): the organization checked
 * against the caller's membership, and the authenticated user.
 */
export interface Scope {
  readonly orgId: string;
  readonly userId: string;
}
