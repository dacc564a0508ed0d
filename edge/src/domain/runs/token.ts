import { RUN_TOKEN, type RunTokenClaims, runRequestDigest } from '@airlock/protocol';
import { type CryptoKey, importJWK, type JWK, SignJWT } from 'jose';

/**
 * The per-run token the edge presents to a sandbox host (RunTokenClaims in @airlock/protocol): EdDSA,
 * audience = the host id, 30 s lifetime (the host refuses more than 60), single-use jti, the run id,
 * the SHA-256 of the exact request the run message will carry, and the run's organization (the host
 * queues runs fairly across organizations).
 */
export const RUN_TOKEN_LIFETIME_SECONDS = 30;

export async function importSigningKey(privateJwkJson: string | undefined): Promise<CryptoKey> {
  if (!privateJwkJson) throw new Error('SANDBOX_SIGNING_JWK is not set');
  const jwk = JSON.parse(privateJwkJson) as JWK;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new Error('SANDBOX_SIGNING_JWK must be an Ed25519 private JWK');
  }
  return (await importJWK(jwk, RUN_TOKEN.alg)) as CryptoKey;
}

export interface MintInput {
  key: CryptoKey;
  hostId: string;
  runId: string;
  /** The organization the run belongs to (the run's scope). */
  orgId: string;
  request: unknown;
  /** Epoch ms. */
  now: number;
  jti: string;
}

export async function mintRunToken(input: MintInput): Promise<string> {
  const iat = Math.floor(input.now / 1000);
  const claims: RunTokenClaims = {
    iss: RUN_TOKEN.issuer,
    aud: input.hostId,
    iat,
    exp: iat + RUN_TOKEN_LIFETIME_SECONDS,
    jti: input.jti,
    run: input.runId,
    req: await runRequestDigest(input.request),
    org: input.orgId,
  };
  return new SignJWT(claims).setProtectedHeader({ alg: RUN_TOKEN.alg, typ: RUN_TOKEN.typ }).sign(input.key);
}
