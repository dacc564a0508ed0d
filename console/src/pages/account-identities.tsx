/**
 * The account page's sign-in methods (issue 14): linked Google/GitHub accounts with link and unlink,
 * and the re-verification a sensitive action asks for (`reauthentication_required`): the password
 * for password accounts, a provider round trip for social-only ones.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  ApiError,
  api,
  authProviders,
  goToProvider,
  reauthenticate,
  takeOAuthOutcome,
} from '../api/client.ts';
import type { Me } from '../app.tsx';
import { ErrorBox, formatDate, useAction } from '../components/ui.tsx';
import { oauthErrorText } from './auth.tsx';

const NAMES: Record<string, string> = { google: 'Google', github: 'GitHub' };

export const needsReverify = (err: unknown) =>
  err instanceof ApiError && err.code === 'reauthentication_required';

/** Shown where an action answered `reauthentication_required`; after it, the user retries the action. */
export function Reverify(props: { me: Me; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const action = useAction();
  if (!props.me.hasPassword) {
    return (
      <div class="reverify" data-testid="reverify">
        <p class="hint">For your safety, confirm it is you with your provider, then try again.</p>
        {props.me.identities.map((i) => (
          <button
            key={i.provider}
            type="button"
            disabled={action.busy}
            onClick={() =>
              void action.run(() =>
                goToProvider('/v1/auth/reauth', { provider: i.provider, redirect: '/account' }),
              )
            }
          >
            Re-verify with {NAMES[i.provider] ?? i.provider}
          </button>
        ))}
        <ErrorBox error={action.error} />
      </div>
    );
  }
  return (
    <form
      class="reverify"
      data-testid="reverify"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          await reauthenticate(password);
          setPassword('');
          props.onDone();
        });
      }}
    >
      <label for="reverify-password">For your safety, confirm your password, then try again</label>
      <input
        id="reverify-password"
        type="password"
        autocomplete="current-password"
        required
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      <ErrorBox error={action.error} />
      <button type="submit" disabled={action.busy}>
        Confirm
      </button>
    </form>
  );
}

export function Identities(props: { me: Me }) {
  const [linked, setLinked] = useState(props.me.identities);
  const [offered, setOffered] = useState<string[]>([]);
  const [oauthError] = useState(() => takeOAuthOutcome().error);
  const action = useAction();

  useEffect(() => {
    void authProviders().then((list) => setOffered(list.map((p) => p.id)));
  }, []);

  const canUnlink = props.me.hasPassword || linked.length > 1;
  return (
    <section aria-labelledby="identities-title">
      <h2 id="identities-title">Sign-in methods</h2>
      <p class="hint">
        {props.me.hasPassword ? 'Password' : 'No password (this account signs in with its provider).'}
        {props.me.emailVerified ? '' : ' Your email address is not confirmed yet: see the confirmation mail.'}
      </p>
      {oauthError ? (
        <div class="error" role="alert">
          <strong>{oauthError}: </strong>
          {oauthErrorText(oauthError)}
        </div>
      ) : null}
      <ul class="identities">
        {linked.map((i) => (
          <li key={i.provider}>
            {NAMES[i.provider] ?? i.provider}
            {i.email ? ` (${i.email})` : ''}, linked {formatDate(i.linkedAt)}{' '}
            <button
              type="button"
              disabled={action.busy || !canUnlink}
              title={canUnlink ? undefined : 'Your last way to sign in'}
              onClick={() =>
                void action.run(async () => {
                  await api('DELETE', `/v1/me/identities/${i.provider}`);
                  setLinked(linked.filter((x) => x.provider !== i.provider));
                })
              }
            >
              Unlink
            </button>
          </li>
        ))}
      </ul>
      {offered
        .filter((p) => !linked.some((i) => i.provider === p))
        .map((p) => (
          <button
            key={p}
            type="button"
            disabled={action.busy}
            onClick={() => void action.run(() => goToProvider(`/v1/me/identities/${p}`, {}))}
          >
            Link {NAMES[p] ?? p}
          </button>
        ))}
      {needsReverify(action.error) ? (
        <Reverify me={props.me} onDone={() => action.setError(null)} />
      ) : (
        <ErrorBox error={action.error} />
      )}
    </section>
  );
}
