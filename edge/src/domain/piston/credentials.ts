/**
 * The API key in a Piston client's Authorization header. Piston clients send credentials in three
 * ways, all accepted:
 * - `Authorization: <key>`, as Piston's hosted API took its keys;
 * - `Authorization: Bearer <key>`;
 * - HTTP Basic with the key as the user name and any or no password (`https://<key>@host` in a
 *   client that takes only a base URL; node-fetch 2 sends base64 of the bare user name, no colon).
 * Only API keys (`ak_…`) are credentials here: access tokens belong to /v1.
 */

const TOKEN = /^[A-Za-z0-9._~+/=-]+$/;
const BEARER = /^Bearer +(\S+)$/i;
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2})$/i;

export function pistonApiKey(header: string | undefined): string | undefined {
  const value = (header ?? '').trim();
  let key: string | undefined;
  const bearer = BEARER.exec(value);
  const basic = BASIC.exec(value);
  if (bearer) key = bearer[1];
  else if (basic?.[1]) key = basicUser(basic[1]);
  else if (TOKEN.test(value)) key = value;
  return key?.startsWith('ak_') && TOKEN.test(key) ? key : undefined;
}

/** The user name of Basic credentials (everything before the first colon, or all of it). */
function basicUser(encoded: string): string | undefined {
  let decoded: string;
  try {
    decoded = atob(encoded);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}
