/**
 * What a social sign-in does (issue 14, item 2; pure). A known identity signs its user in. An
 * unknown one needs a provider-verified address; then:
 * - nobody has the address: a new account with no password;
 * - an account that confirmed the address has it: refused. Signing in would hand that account to
 *   whoever controls the provider account, so its owner signs in first and links from there;
 * - an account that never confirmed the address has it: the provider-verified sign-in wins, and the
 *   unconfirmed account is deleted (docs/auth.md), so a squatter cannot block or pre-own the address.
 */

export interface EmailOwner {
  id: string;
  emailVerifiedAt: number | null;
}

export type LoginDecision =
  | { kind: 'sign_in'; userId: string }
  | { kind: 'create' }
  | { kind: 'create_replacing'; unverifiedUserId: string }
  | { kind: 'refuse'; reason: 'email_unverified' | 'account_exists' };

export function decideLogin(input: {
  identityUserId: string | null;
  email: string | null;
  emailVerified: boolean;
  emailOwner: EmailOwner | null;
}): LoginDecision {
  if (input.identityUserId) return { kind: 'sign_in', userId: input.identityUserId };
  if (!input.email || !input.emailVerified) return { kind: 'refuse', reason: 'email_unverified' };
  if (!input.emailOwner) return { kind: 'create' };
  if (input.emailOwner.emailVerifiedAt !== null) return { kind: 'refuse', reason: 'account_exists' };
  return { kind: 'create_replacing', unverifiedUserId: input.emailOwner.id };
}
