import { errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { CLOCK_TOLERANCE_SECONDS } from '../auth/access-token.ts';

/**
 * Google's ID token (OpenID Connect Core §3.1.3.7) checked with jose against Google's JWKS:
 * signature with RS256 only (so `alg: none` and HMAC-with-the-public-key are refused), issuer,
 * audience (our client id; `azp` too when present), expiry, and the nonce we sent for this flow.
 * The address counts only with `email_verified: true`. A re-verification also needs `auth_time`
 * no earlier than the start of the flow: the user really signed in again (we asked `max_age=0`).
 * The token itself never leaves this module; failures name a reason only.
 */

export interface GoogleProfile {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  /** Epoch ms, when the provider sent it. */
  authTime: number | null;
}

export type IdTokenResult =
  | { ok: true; profile: GoogleProfile }
  | {
      ok: false;
      reason: 'expired' | 'invalid' | 'nonce_mismatch' | 'azp_mismatch' | 'no_subject' | 'stale_auth_time';
    };

export interface IdTokenExpectations {
  keys: JWTVerifyGetKey;
  issuers: readonly string[];
  clientId: string;
  nonce: string;
  now: number;
  /** Re-verification: the sign-in must be no earlier than this (epoch ms). */
  authenticatedSince?: number;
}

export async function verifyGoogleIdToken(
  token: string,
  expect: IdTokenExpectations,
): Promise<IdTokenResult> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, expect.keys, {
      algorithms: ['RS256'],
      issuer: [...expect.issuers],
      audience: expect.clientId,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(expect.now),
    }));
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
  }
  if (payload.nonce !== expect.nonce) return { ok: false, reason: 'nonce_mismatch' };
  if (payload.azp !== undefined && payload.azp !== expect.clientId)
    return { ok: false, reason: 'azp_mismatch' };
  if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'no_subject' };
  const authTime = typeof payload.auth_time === 'number' ? payload.auth_time * 1000 : null;
  if (expect.authenticatedSince !== undefined) {
    if (authTime === null || authTime < expect.authenticatedSince - CLOCK_TOLERANCE_SECONDS * 1000)
      return { ok: false, reason: 'stale_auth_time' };
  }
  const email = typeof payload.email === 'string' ? payload.email.trim().toLowerCase() : null;
  return {
    ok: true,
    profile: { subject: payload.sub, email, emailVerified: payload.email_verified === true, authTime },
  };
}
