/**
 * Run-token verification, done on the HTTP upgrade request before any socket exists. A token is an
 * EdDSA JWT minted by the edge (see RUN_TOKEN in the protocol): audience = this host, lifetime at most
 * 60 s, single use (the jti is remembered until the token expires), naming one run, the digest of its
 * request and the organization it runs for. Reasons are for the log; the client only ever sees 401.
 */

import { RUN_TOKEN, type RunTokenClaims, RunTokenClaimsSchema } from '@airlock/protocol';
import type { CryptoKey, JWTPayload } from 'jose';
import { errors, importJWK, jwtVerify } from 'jose';

export interface VerifiedRunToken {
  runId: string;
  requestDigest: string;
  jti: string;
  expiresAt: number;
  /** Every verified claim, among them `org`, the organization the run is queued for. */
  claims: RunTokenClaims;
}

export type TokenRejection =
  | 'missing'
  | 'malformed'
  | 'bad_signature'
  | 'expired'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'wrong_type'
  | 'missing_claim'
  | 'lifetime_too_long'
  | 'replayed'
  | 'invalid';

export type TokenResult = { ok: true; value: VerifiedRunToken } | { ok: false; reason: TokenRejection };

/** jti → expiry (ms). Entries are dropped once their token could no longer verify anyway. */
export class ReplayCache {
  readonly #seen = new Map<string, number>();

  /** Records the jti; false when it was already used. */
  use(jti: string, expiresAtMs: number, nowMs: number): boolean {
    this.prune(nowMs);
    if (this.#seen.has(jti)) return false;
    this.#seen.set(jti, expiresAtMs + RUN_TOKEN.clockToleranceSeconds * 1000);
    return true;
  }

  prune(nowMs: number): void {
    for (const [jti, exp] of this.#seen) if (exp < nowMs) this.#seen.delete(jti);
  }

  get size(): number {
    return this.#seen.size;
  }
}

export interface TokenVerifierOptions {
  /** The edge's public keys: one, or current and previous during a rotation (each is tried in turn). */
  publicJwks: readonly Readonly<Record<string, unknown>>[];
  hostId: string;
  now: () => number;
}

export type TokenVerifier = (authorization: string | undefined) => Promise<TokenResult>;

export async function createTokenVerifier(options: TokenVerifierOptions): Promise<TokenVerifier> {
  const keys = await Promise.all(
    options.publicJwks.map(async (jwk) => (await importJWK({ ...jwk }, RUN_TOKEN.alg)) as CryptoKey),
  );
  const replay = new ReplayCache();

  return async function verifyRunToken(authorization) {
    const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization ?? '');
    if (!authorization) return { ok: false, reason: 'missing' };
    if (!match?.[1]) return { ok: false, reason: 'malformed' };
    const nowMs = options.now();
    let payload: JWTPayload | undefined;
    let failure: unknown;
    for (const key of keys) {
      try {
        ({ payload } = await jwtVerify(match[1], key, {
          algorithms: [RUN_TOKEN.alg],
          typ: RUN_TOKEN.typ,
          issuer: RUN_TOKEN.issuer,
          audience: options.hostId,
          clockTolerance: RUN_TOKEN.clockToleranceSeconds,
          currentDate: new Date(nowMs),
        }));
        break;
      } catch (err) {
        failure = err;
        // Only a signature mismatch means "maybe another key"; any other failure is final.
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    if (!payload) return { ok: false, reason: classify(failure) };
    // The protocol's schema is the one list of required claims (jwtVerify only checks those present).
    const parsed = RunTokenClaimsSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, reason: 'missing_claim' };
    const claims = parsed.data;
    const { iat, exp, jti } = claims;
    if (exp - iat > RUN_TOKEN.maxLifetimeSeconds) return { ok: false, reason: 'lifetime_too_long' };
    if (iat * 1000 > nowMs + RUN_TOKEN.clockToleranceSeconds * 1000) return { ok: false, reason: 'invalid' };
    if (!replay.use(jti, exp * 1000, nowMs)) return { ok: false, reason: 'replayed' };
    return {
      ok: true,
      value: { runId: claims.run, requestDigest: claims.req, jti, expiresAt: exp * 1000, claims },
    };
  };
}

function classify(err: unknown): TokenRejection {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'wrong_audience';
    if (err.claim === 'iss') return 'wrong_issuer';
    if (err.claim === 'typ') return 'wrong_type';
    return 'missing_claim';
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed';
  return 'invalid';
}
