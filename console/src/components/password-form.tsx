/**
 * The one form that sets a password: the account's "Change password" (with the current password) and
 * the reset link's page (with the mail's token instead). The new password's rule is the edge's
 * (docs/auth.md: 12–128 characters, not a common one); the browser checks the length before sending,
 * the edge decides.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ErrorBox, useAction } from './ui.tsx';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_HINT = `At least ${PASSWORD_MIN_LENGTH} characters, not a common password.`;

export function PasswordForm(props: {
  /** Ask for the current password too (a change rather than a reset). */
  withCurrent?: boolean;
  submitLabel: string;
  busyLabel: string;
  disabled?: boolean;
  onSubmit(passwords: { current: string; next: string }): Promise<void>;
  /** Shown under the button. */
  children?: ComponentChildren;
}) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const action = useAction();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(() => props.onSubmit({ current, next }));
      }}
    >
      {props.withCurrent ? (
        <>
          <label for="current-password">Current password</label>
          <input
            id="current-password"
            type="password"
            autocomplete="current-password"
            required
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        </>
      ) : null}
      <label for="new-password">New password</label>
      <input
        id="new-password"
        type="password"
        autocomplete="new-password"
        minLength={PASSWORD_MIN_LENGTH}
        required
        aria-describedby="new-password-hint"
        value={next}
        onInput={(e) => setNext(e.currentTarget.value)}
      />
      <p id="new-password-hint" class="hint">
        {PASSWORD_HINT}
      </p>
      <ErrorBox error={action.error} />
      <button type="submit" disabled={action.busy || props.disabled}>
        {action.busy ? props.busyLabel : props.submitLabel}
      </button>
      {props.children}
    </form>
  );
}
