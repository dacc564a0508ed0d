/**
 * The account: sign-in methods (linked providers), change password, sign out everywhere, delete
 * (with the password as confirmation; a social-only account re-verifies with its provider instead).
 */
import { useState } from 'preact/hooks';
import { api, forgetSession } from '../api/client.ts';
import type { Me } from '../app.tsx';
import { PasswordForm } from '../components/password-form.tsx';
import { ErrorBox, formatDate, Page, useAction } from '../components/ui.tsx';
import { Identities, needsReverify, Reverify } from './account-identities.tsx';

export function AccountPage(props: { me: Me }) {
  const [deletePassword, setDeletePassword] = useState('');
  const [confirmText, setConfirmText] = useState('');
  const everywhere = useAction();
  const remove = useAction();

  return (
    <Page title="Account">
      <dl class="facts">
        <dt>Email</dt>
        <dd>{props.me.email}</dd>
        <dt>Member since</dt>
        <dd>{formatDate(props.me.createdAt)}</dd>
        <dt>Role</dt>
        <dd>{props.me.isAdmin ? 'Platform administrator' : 'User'}</dd>
      </dl>

      <Identities me={props.me} />

      {props.me.hasPassword ? <ChangePassword /> : null}

      <h2>Sign out everywhere</h2>
      <p class="hint">
        Ends every session of your account, on every device, this one too. API keys keep working.
      </p>
      <ErrorBox error={everywhere.error} />
      <button
        type="button"
        disabled={everywhere.busy}
        onClick={() => {
          if (!confirm('Sign out on every device, this one included?')) return;
          void everywhere.run(async () => {
            await api('POST', '/v1/me/sessions/revoke');
            forgetSession();
          });
        }}
      >
        {everywhere.busy ? 'Signing out…' : 'Sign out everywhere'}
      </button>

      <h2>Delete account</h2>
      <p class="hint">
        Deletes your account, your personal organization, your keys and your runs. This cannot be undone. Type{' '}
        <code>delete my account</code>
        {props.me.hasPassword ? ' and your password' : ''} to confirm.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void remove.run(async () => {
            await api('DELETE', '/v1/me', props.me.hasPassword ? { password: deletePassword } : {});
            forgetSession();
          });
        }}
      >
        <label for="delete-confirm">Confirmation</label>
        <input
          id="delete-confirm"
          autocomplete="off"
          value={confirmText}
          onInput={(e) => setConfirmText(e.currentTarget.value)}
        />
        {props.me.hasPassword ? (
          <>
            <label for="delete-password">Password</label>
            <input
              id="delete-password"
              type="password"
              autocomplete="current-password"
              required
              value={deletePassword}
              onInput={(e) => setDeletePassword(e.currentTarget.value)}
            />
          </>
        ) : null}
        {needsReverify(remove.error) ? null : <ErrorBox error={remove.error} />}
        <button type="submit" class="danger" disabled={remove.busy || confirmText !== 'delete my account'}>
          Delete my account
        </button>
      </form>
      {needsReverify(remove.error) ? <Reverify me={props.me} onDone={() => remove.setError(null)} /> : null}
    </Page>
  );
}

function ChangePassword() {
  return (
    <>
      <h2>Change password</h2>
      <p class="hint">Every session ends, this one too: you sign in again with the new password.</p>
      <PasswordForm
        withCurrent
        submitLabel="Change password"
        busyLabel="Changing…"
        onSubmit={async ({ current, next }) => {
          await api('PUT', '/v1/me/password', { currentPassword: current, newPassword: next });
          forgetSession();
        }}
      />
    </>
  );
}
