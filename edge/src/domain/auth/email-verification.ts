import { HOUR_MS } from '../../limits.ts';

/**
 * Email confirmation (issue 14, item 5): a single-use `ev_` token (256 bits, SHA-256 at rest,
 * 24 hours by default) mailed through the outbox, like reset mail; the link carries it in the URL
 * fragment. It confirms the address it was sent to and no other. Until an account confirms, its
 * address receives no invitations, and a provider-verified social sign-in with that address wins it
 * (docs/auth.md). Pure: the D1 side is services/email-verification.ts.
 */

export const VERIFY_TOKEN_PREFIX = 'ev_';
const MAX_TOKEN_LENGTH = 128;

export function isVerifyTokenShaped(token: string): boolean {
  return token.startsWith(VERIFY_TOKEN_PREFIX) && token.length <= MAX_TOKEN_LENGTH;
}

export const VERIFY_MAIL_SUBJECT = 'Confirm your Airlock email address';

export function verifyMailBody(input: { token: string; ttlMs: number; verifyUrl: string }): string {
  const hours = Math.max(1, Math.round(input.ttlMs / HOUR_MS));
  return [
    'Welcome to Airlock. Confirm that this address is yours:',
    `${input.verifyUrl}#token=${input.token}`,
    '',
    `The link works once, within ${hours} hour(s). Or send this token to POST /v1/auth/email/verify: ${input.token}`,
    '',
    'Until you confirm, invitations to organizations cannot reach you, and someone who signs in with',
    'Google or GitHub as this address takes it over: the unconfirmed account is then deleted.',
    '',
    'If you did not create an Airlock account, ignore this message.',
  ].join('\n');
}
