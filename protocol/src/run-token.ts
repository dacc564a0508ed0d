import { z } from 'zod';
import { OrgIdSchema, RunIdSchema } from './ids.ts';

/** The token contract: the edge mints, the host verifies before the WebSocket upgrade completes. */
export const RUN_TOKEN = {
  alg: 'EdDSA',
  typ: 'airlock-run+jwt',
  issuer: 'airlock-edge',
  /** `exp - iat` may not exceed this; the host rejects longer-lived tokens. */
  maxLifetimeSeconds: 60,
  /** Tolerated clock skew when checking `iat`/`exp`. */
  clockToleranceSeconds: 5,
} as const;

/**
 * Claims of a run token, as the edge mints them and the host accepts them: `aud` is the host id,
 * `run` the run id, `req` is `runRequestDigest(request)`, `org` the organization the run belongs to (the
 * host queues runs fairly across organizations). Other claims a token may carry are ignored.
 */
export const RunTokenClaimsSchema = z.object({
  iss: z.literal(RUN_TOKEN.issuer),
  aud: z.string().min(1),
  iat: z.number(),
  exp: z.number(),
  jti: z.string().min(1).max(256),
  run: RunIdSchema,
  req: z.string(),
  org: OrgIdSchema,
});
export type RunTokenClaims = z.infer<typeof RunTokenClaimsSchema>;
