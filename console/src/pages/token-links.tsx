/**
 * The pages the edge's mails link to, signed in or not: confirm an email address (`/verify-email`)
 * and choose a new password (`/reset-password`). The token arrives in the URL's fragment, which no
 * server sees; it is read once and wiped from the address bar so it stays out of history.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { PasswordForm } from '../components/password-form.tsx';
import { ErrorBox, useAction } from '../components/ui.tsx';

function takeToken(): string {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  if (location.hash) history.replaceState(null, '', location.pathname);
  return token;
}

function Card(props: { title: string; children: ComponentChildren }) {
  return (
    <main id="main" class="auth">
      <section class="card" aria-labelledby="page-title">
        <p class="brand">Airlock</p>
        <h1 id="page-title">{props.title}</h1>
        {props.children}
        <p>
          <a href="/">Go to the console</a>
        </p>
      </section>
    </main>
  );
}

export function VerifyEmailPage() {
  const [token] = useState(takeToken);
  const [done, setDone] = useState(false);
  const action = useAction();
  return (
    <Card title="Confirm your email">
      {done ? (
        <p role="status">Your email address is confirmed.</p>
      ) : (
        <>
          <p class="hint">Confirm that this address is yours.</p>
          <ErrorBox error={action.error} />
          <button
            type="button"
            disabled={action.busy || token === ''}
            onClick={() =>
              void action.run(async () => {
                await api('POST', '/v1/auth/email/verify', { token });
                setDone(true);
              })
            }
          >
            {action.busy ? 'Confirming…' : 'Confirm my email'}
          </button>
          {token === '' ? (
            <p class="hint">This link has no token: open the link from the mail again.</p>
          ) : null}
        </>
      )}
    </Card>
  );
}

export function ResetPasswordPage() {
  const [token] = useState(takeToken);
  const [done, setDone] = useState(false);
  return (
    <Card title="Choose a new password">
      {done ? (
        <p role="status">Your password is changed. Every session has ended: sign in with the new password.</p>
      ) : (
        <PasswordForm
          submitLabel="Set the new password"
          busyLabel="Saving…"
          disabled={token === ''}
          onSubmit={async ({ next }) => {
            await api('POST', '/v1/auth/password/reset', { token, password: next });
            setDone(true);
          }}
        >
          {token === '' ? (
            <p class="hint">This link has no token: open the link from the mail again.</p>
          ) : null}
        </PasswordForm>
      )}
    </Card>
  );
}
