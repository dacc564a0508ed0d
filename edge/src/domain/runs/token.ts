import { RUN_TOKEN, runRequestDigest } from '@airlock/protocol';
import { type CryptoKey, importJWK, type JWK, SignJWT } from 'jose';

/**
 * The per-run token the edge presents to a sandbox host (sandbox-host/src/protocol.ts RUN_TOKEN):
 * EdDSA, audience = the host id, 30 s lifetime (the host refuses more than 60), single-use jti, the
 * run id and the SHA-256 of the exact request the run message will carry.
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
  request: unknown;
  /** Epoch ms. */
  now: number;
  jti: string;
}

export async function mintRunToken(input: MintInput): Promise<string> {
  const iat = Math.floor(input.now / 1000);
  return new SignJWT({ run: input.runId, req: await runRequestDigest(input.request) })
    .setProtectedHeader({ alg: RUN_TOKEN.alg, typ: RUN_TOKEN.typ })
    .setIssuer(RUN_TOKEN.issuer)
    .setAudience(input.hostId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + RUN_TOKEN_LIFETIME_SECONDS)
    .setJti(input.jti)
    .sign(input.key);
}
