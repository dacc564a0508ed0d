import type { Context } from 'hono';
import type { Database } from '../../db/client.ts';
import type { OAuthProvider } from '../../domain/oauth/config.ts';
import { decideLogin } from '../../domain/oauth/login-decision.ts';
import type { AppEnv } from '../../env.ts';
import type { ErrorCode } from '../../errors/codes.ts';
import { auditRequest } from '../../lib/audit-request.ts';
import { findIdentity, insertIdentity, updateIdentityEmail } from '../../repositories/identities.ts';
import type { OAuthFlowRow } from '../../repositories/oauth-flows.ts';
import { personalOrgInserts } from '../../repositories/orgs.ts';
import { findUserByEmail, findUserById, insertUser } from '../../repositories/users.ts';
import { deleteAccount } from '../account-deletion.ts';
import type { ProviderProfile } from './providers.ts';

/**
 * What a verified provider profile does for each purpose of a flow (issue 14): sign in (or sign
 * up), link to the signed-in user, or re-verify that user. Returns the user to start a session for
 * (`session: true`) or a wire error code; the route turns either into a redirect.
 */

export type Completion =
  | { ok: true; userId: string; session: boolean; created?: boolean }
  | { ok: false; code: ErrorCode; reason: string };

function isUniqueViolation(err: unknown, what: RegExp): boolean {
  const text = `${err instanceof Error ? err.message : ''} ${err instanceof Error && err.cause instanceof Error ? err.cause.message : ''}`;
  return /UNIQUE constraint failed/.test(text) && what.test(text);
}

export async function completeLogin(
  c: Context<AppEnv>,
  db: Database,
  provider: OAuthProvider,
  profile: ProviderProfile,
  now: number,
): Promise<Completion> {
  const identity = await findIdentity(db, provider, profile.subject);
  const owner = !identity && profile.email ? await findUserByEmail(db, profile.email) : undefined;
  const decision = decideLogin({
    identityUserId: identity?.userId ?? null,
    email: profile.email,
    emailVerified: profile.emailVerified,
    emailOwner: owner ? { id: owner.id, emailVerifiedAt: owner.emailVerifiedAt } : null,
  });
  switch (decision.kind) {
    case 'refuse':
      return decision.reason === 'account_exists'
        ? { ok: false, code: 'oauth_account_exists', reason: 'email_matches_account' }
        : { ok: false, code: 'oauth_email_unverified', reason: 'no_verified_email' };
    case 'sign_in':
      if (identity && profile.email !== identity.email)
        await updateIdentityEmail(db, identity.id, profile.email);
      return { ok: true, userId: decision.userId, session: true };
    case 'create_replacing':
    case 'create': {
      const email = profile.email as string;
      if (decision.kind === 'create_replacing' && owner) {
        // The address was never confirmed by that account; the provider just proved who owns it.
        const plan = await deleteAccount(db, c.env.FILES, owner);
        await auditRequest(
          c,
          db,
          {
            action: 'user.email_released',
            actorUserId: null,
            targetType: 'user',
            targetId: owner.id,
            metadata: {
              provider,
              deletedOrgs: plan.deleteOrgs,
              transferredOrgs: plan.promote.map((p) => p.orgId),
            },
          },
          now,
        );
      }
      const userId = crypto.randomUUID();
      try {
        await db.batch([
          insertUser(db, { id: userId, email, passwordHash: null, emailVerifiedAt: now, now }),
          ...personalOrgInserts(db, { orgId: crypto.randomUUID(), userId, name: 'Personal', now }),
          insertIdentity(db, { userId, provider, providerUserId: profile.subject, email, now }),
        ]);
      } catch (err) {
        // A racing sign-up (password or social) took the address or the identity first.
        if (isUniqueViolation(err, /users\.email/))
          return { ok: false, code: 'oauth_account_exists', reason: 'email_taken_concurrently' };
        if (isUniqueViolation(err, /identities\./)) {
          const winner = await findIdentity(db, provider, profile.subject);
          if (winner) return { ok: true, userId: winner.userId, session: true };
        }
        throw err;
      }
      return { ok: true, userId, session: true, created: true };
    }
  }
}

export async function completeLink(
  db: Database,
  flow: OAuthFlowRow,
  profile: ProviderProfile,
  now: number,
): Promise<Completion> {
  if (!flow.userId) return { ok: false, code: 'oauth_state_invalid', reason: 'link_without_user' };
  const identity = await findIdentity(db, flow.provider, profile.subject);
  if (identity) {
    return identity.userId === flow.userId
      ? { ok: true, userId: flow.userId, session: false }
      : { ok: false, code: 'oauth_identity_in_use', reason: 'linked_to_other_user' };
  }
  try {
    await insertIdentity(db, {
      userId: flow.userId,
      provider: flow.provider,
      providerUserId: profile.subject,
      email: profile.emailVerified ? profile.email : null,
      now,
    });
  } catch (err) {
    if (isUniqueViolation(err, /identities\.user_id/))
      return { ok: false, code: 'identity_already_linked', reason: 'provider_already_linked' };
    if (isUniqueViolation(err, /identities\./))
      return { ok: false, code: 'oauth_identity_in_use', reason: 'linked_concurrently' };
    throw err;
  }
  return { ok: true, userId: flow.userId, session: false };
}

export async function completeReauth(
  db: Database,
  flow: OAuthFlowRow,
  profile: ProviderProfile,
): Promise<Completion> {
  if (!flow.userId) return { ok: false, code: 'oauth_state_invalid', reason: 'reauth_without_user' };
  const identity = await findIdentity(db, flow.provider, profile.subject);
  // Only the provider account linked to this user proves it is them.
  if (!identity || identity.userId !== flow.userId)
    return { ok: false, code: 'oauth_identity_mismatch', reason: 'other_provider_account' };
  if (!(await findUserById(db, flow.userId))) return { ok: false, code: 'unauthorized', reason: 'user_gone' };
  return { ok: true, userId: flow.userId, session: true };
}
