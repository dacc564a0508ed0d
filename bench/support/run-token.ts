/**
 * A run token signed with the edge's key, as the edge signs one: what a bench sends to a sandbox host
 * directly, to measure the host without the edge in the same run.
 */
import { randomUUID } from 'node:crypto';
import { RUN_TOKEN, type RunRequest, type RunTokenClaims, runRequestDigest } from '@airlock/protocol';
import { SignJWT } from 'jose';

/** The organization direct runs' tokens name (the host only groups runs by it). */
export const BENCH_ORG = 'bench';

export async function signRunToken(
  key: CryptoKey,
  hostId: string,
  runId: string,
  request: RunRequest,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: RunTokenClaims = {
    iss: RUN_TOKEN.issuer,
    aud: hostId,
    iat: now,
    exp: now + 30,
    jti: randomUUID(),
    run: runId,
    req: await runRequestDigest(request),
    org: BENCH_ORG,
  };
  return new SignJWT(claims).setProtectedHeader({ alg: RUN_TOKEN.alg, typ: RUN_TOKEN.typ }).sign(key);
}
