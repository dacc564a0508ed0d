import { errors, jwtVerify, SignJWT } from 'jose';

/**
 * Access tokens: short-lived JWTs (RFC 9068 profile: `typ: at+jwt`), HS256 with the Worker secret.
 * Verification pins the algorithm (so `alg: none` and algorithm confusion are refused by jose),
 * requires exp, iat, sub, jti, issuer, audience and the explicit typ, and allows 5 s of clock skew.
 * Failures are reported by reason only; the token itself never leaves this module.
 */

export const ACCESS_TOKEN_TYP = 'at+jwt';
export const CLOCK_TOLERANCE_SECONDS = 5;

export interface AccessTokenSettings {
  signingKey: Uint8Array;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export async function issueAccessToken(
  settings: AccessTokenSettings,
  userId: string,
  now: number,
): Promise<{ token: string; expiresIn: number }> {
  const iat = Math.floor(now / 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYP })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(userId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + settings.ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(settings.signingKey);
  return { token, expiresIn: settings.ttlSeconds };
}

export type AccessTokenResult =
  | { ok: true; userId: string; jti: string }
  | { ok: false; reason: 'expired' | 'invalid' };

export async function verifyAccessToken(
  settings: Omit<AccessTokenSettings, 'ttlSeconds'>,
  token: string,
  now: number,
): Promise<AccessTokenResult> {
  try {
    const { payload } = await jwtVerify(token, settings.signingKey, {
      algorithms: ['HS256'],
      issuer: settings.issuer,
      audience: settings.audience,
      typ: ACCESS_TOKEN_TYP,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now),
    });
    if (typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.jti !== 'string')
      return { ok: false, reason: 'invalid' };
    return { ok: true, userId: payload.sub, jti: payload.jti };
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
  }
}
