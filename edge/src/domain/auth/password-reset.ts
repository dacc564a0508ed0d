/**
 * Password reset: a single-use `pr_` token (256 bits, SHA-256 at rest, 30-minute expiry by
 * default) mailed through the outbox. The link carries the token in the URL fragment, which
 * browsers send neither to servers nor in Referer headers. A reset is account recovery: it ends
 * every session, kills every access token issued before it and revokes the user's API keys, and
 * the mail says so. Pure: the D1 side is services/password-reset.ts.
 */

export const RESET_TOKEN_PREFIX = 'pr_';
const MAX_TOKEN_LENGTH = 128;

export function isResetTokenShaped(token: string): boolean {
  return token.startsWith(RESET_TOKEN_PREFIX) && token.length <= MAX_TOKEN_LENGTH;
}

export const RESET_MAIL_SUBJECT = 'Reset your Airlock password';

export function resetMailBody(input: { token: string; ttlMs: number; resetUrl: string }): string {
  const minutes = Math.round(input.ttlMs / 60_000);
  return [
    'Someone (hopefully you) asked to reset the password of your Airlock account.',
    '',
    `Open this link within ${minutes} minutes to choose a new password:`,
    `${input.resetUrl}#token=${input.token}`,
    '',
    `Or send this token to POST /v1/auth/password/reset: ${input.token}`,
    '',
    'Resetting signs you out everywhere and revokes all your API keys: create new keys afterwards.',
    '',
    'If you did not ask for this, ignore this message; your password stays as it is.',
  ].join('\n');
}
