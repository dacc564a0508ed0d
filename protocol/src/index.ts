/**
 * The one wire protocol between the edge and a sandbox host (and, for the frame shapes, between the
 * edge and its clients). Imported by the edge on Cloudflare Workers, so every file here uses only zod
 * and Web APIs (WebCrypto, TextEncoder, btoa/atob): no node: imports, here or in anything it imports.
 *
 * One WebSocket carries one run: the token minted by the edge (run-token.ts) names the run id, its
 * organization and the SHA-256 of the run request (digest.ts), the client sends `run` (and maybe
 * `cancel`), the host answers `accepted`, `started`, `stdout`/`stderr` chunks, then `exit` with the
 * result, or `error`, and closes (messages.ts). A host also answers `GET /runtimes` (runtimes.ts); its
 * paths are in paths.ts.
 */
export * from './base64url.ts';
export * from './close-codes.ts';
export * from './digest.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './paths.ts';
export * from './run-request.ts';
export * from './run-result.ts';
export * from './run-token.ts';
export * from './runtimes.ts';
export * from './statuses.ts';
export * from './work.ts';
