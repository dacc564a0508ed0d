import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';

/**
 * Access tokens: short-lived JWTs (RFC 9068 profile: `typ: at+jwt`), HS256 with a Worker secret.
 * Verification pins the algorithm (so `alg: none` and algorithm confusion are refused by jose),
 * requires exp, iat, sub, jti, issuer, audience and the explicit typ, and allows 5 s of clock skew.
 * Failures are reported by reason only; the token itself never leaves this module.
 *
 * Keys rotate: each token names its key in the header (`kid`); we sign with the current key and
 * verify against the set (current and previous), so tokens signed before a rotation keep working
 * until the previous key is removed (docs/auth.md). `iat` carries milliseconds (a NumericDate may
 * be fractional, RFC 7519 §2) so a "tokens valid after" time cuts exactly; `auth_time` (OIDC Core
 * §2) is when the user last proved who they are, for routes that need a recent sign-in.
 */

export const ACCESS_TOKEN_TYP = 'at+jwt';
export const CLOCK_TOLERANCE_SECONDS = 5;

export interface SigningKey {
  readonly kid: string;
  readonly key: Uint8Array;
}

/** The current key signs; every key in `verifying` (the current one included) verifies. */
export interface SigningKeySet {
  readonly current: SigningKey;
  readonly verifying: readonly SigningKey[];
}

export interface AccessTokenSettings {
  signingKeys: SigningKeySet;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export async function issueAccessToken(
  settings: AccessTokenSettings,
  subject: { userId: string; authenticatedAt: number },
  now: number,
): Promise<{ token: string; expiresIn: number }> {
  const { current } = settings.signingKeys;
  const token = await new SignJWT({ auth_time: subject.authenticatedAt / 1000 })
    .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYP, kid: current.kid })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(subject.userId)
    .setIssuedAt(now / 1000)
    .setExpirationTime(now / 1000 + settings.ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(current.key);
  return { token, expiresIn: settings.ttlSeconds };
}

export type AccessTokenResult =
  | { ok: true; userId: string; jti: string; issuedAt: number; authenticatedAt: number }
  | { ok: false; reason: 'expired' | 'invalid' | 'unknown_key' };

/** The verifying key a token names; a token without `kid` (issued before rotation existed) uses the current. */
function keyFor(keys: SigningKeySet, token: string): SigningKey | null {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return null;
  }
  if (kid === undefined) return keys.current;
  return keys.verifying.find((k) => k.kid === kid) ?? null;
}

/**
 * The verifying CryptoKey of each signing key, imported once per isolate (issue 18: jose imports a
 * raw key on every verification, CPU on every authenticated request). Keyed by the frozen key
 * object, which the parsed configuration keeps for the life of its `env`: a rotated key is a new
 * object, imported afresh; none is kept alive by the cache.
 */
const verifyKeys = new WeakMap<SigningKey, Promise<CryptoKey>>();

function verifyKeyOf(key: SigningKey): Promise<CryptoKey> {
  let imported = verifyKeys.get(key);
  if (!imported) {
    imported = crypto.subtle.importKey('raw', key.key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    verifyKeys.set(key, imported);
  }
  return imported;
}

export async function verifyAccessToken(
  settings: Omit<AccessTokenSettings, 'ttlSeconds'>,
  token: string,
  now: number,
): Promise<AccessTokenResult> {
  const key = keyFor(settings.signingKeys, token);
  if (!key) return { ok: false, reason: 'unknown_key' };
  try {
    const { payload } = await jwtVerify(token, await verifyKeyOf(key), {
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
    const issuedAt = Math.round((payload.iat ?? 0) * 1000);
    // Tokens from before auth_time existed count as signed in when they were issued.
    const authTime = typeof payload.auth_time === 'number' ? Math.round(payload.auth_time * 1000) : issuedAt;
    return { ok: true, userId: payload.sub, jti: payload.jti, issuedAt, authenticatedAt: authTime };
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
  }
}
