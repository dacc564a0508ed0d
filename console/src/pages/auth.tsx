/** Sign in / sign up with a password; Google and GitHub buttons appear only when the edge lists them. */
import { useEffect, useState } from 'preact/hooks';
import { authProviders, startSession, takeOAuthOutcome } from '../api/client.ts';
import { PASSWORD_HINT, PASSWORD_MIN_LENGTH } from '../components/password-form.tsx';
import { ErrorBox, useAction } from '../components/ui.tsx';

/** What a failed Google/GitHub sign-in (`?oauth_error=`) means for the person at the keyboard. */
export const OAUTH_ERRORS: Record<string, string> = {
  oauth_account_exists:
    'An account with this email already exists. Sign in to it with your password, then link the provider on your account page.',
  oauth_email_unverified: 'The provider has no verified email address for this account.',
  oauth_identity_in_use: 'That provider account is already linked to another Airlock account.',
  oauth_identity_mismatch: 'Re-verify with the provider account that is linked to this Airlock account.',
  oauth_denied: 'The provider did not grant access.',
};
export const oauthErrorText = (code: string) =>
  OAUTH_ERRORS[code] ?? 'The sign-in with the provider did not complete. Try again.';

/** Only the edge's own auth routes may be a provider's start URL (no open redirect from config). */
const isOwnAuthPath = (url: string) => /^\/v1\/auth\/[A-Za-z0-9/_-]+$/.test(url);

export function AuthPage(props: { onSignedIn: () => Promise<void> }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [providers, setProviders] = useState<{ id: string; name: string; url: string }[]>([]);
  const action = useAction();
  const [oauthError] = useState(() => takeOAuthOutcome().error);

  useEffect(() => {
    void authProviders().then((list) => setProviders(list.filter((p) => isOwnAuthPath(p.url))));
  }, []);

  const title = mode === 'login' ? 'Sign in' : 'Create an account';
  return (
    <main id="main" class="auth">
      <section class="card" aria-labelledby="page-title">
        <p class="brand">Airlock</p>
        <h1 id="page-title">{title}</h1>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => {
              await startSession(mode, email.trim(), password);
              await props.onSignedIn();
            });
          }}
        >
          <label for="email">Email</label>
          <input
            id="email"
            type="email"
            autocomplete="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <label for="password">Password</label>
          <input
            id="password"
            type="password"
            autocomplete={mode === 'login' ? 'current-password' : 'new-password'}
            minLength={mode === 'register' ? PASSWORD_MIN_LENGTH : undefined}
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {mode === 'register' ? <p class="hint">{PASSWORD_HINT}</p> : null}
          <ErrorBox error={action.error} />
          <button type="submit" class="primary" disabled={action.busy}>
            {action.busy ? 'Please wait…' : title}
          </button>
        </form>
        {oauthError ? (
          <div class="error" role="alert" data-testid="oauth-error">
            <strong>{oauthError}: </strong>
            {oauthErrorText(oauthError)}
          </div>
        ) : null}
        {providers.length > 0 ? (
          <div class="providers">
            {providers.map((p) => (
              <a key={p.id} class="button" href={p.url}>
                Continue with {p.name}
              </a>
            ))}
          </div>
        ) : null}
        <p>
          {mode === 'login' ? 'New here? ' : 'Already have an account? '}
          <button
            type="button"
            class="linkish"
            onClick={() => {
              action.setError(null);
              setMode(mode === 'login' ? 'register' : 'login');
            }}
          >
            {mode === 'login' ? 'Create an account' : 'Sign in'}
          </button>
        </p>
      </section>
    </main>
  );
}
