/**
 * API keys of the current organization: create (name, scopes, expiry), see the secret once with a copy
 * button, list and revoke. The secret is held in this component's state until the user dismisses it.
 */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ErrorBox, formatDate, Loading, Page, useAction, useLoad } from '../components/ui.tsx';

const SCOPES = ['runs:write', 'runs:read'] as const;
interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function NewSecret(props: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  return (
    <section class="secret" aria-labelledby="secret-title">
      <h2 id="secret-title">Your new API key</h2>
      <p>Copy it now: it is shown this once and cannot be retrieved later.</p>
      <code id="new-secret" class="secret-value">
        {props.secret}
      </code>
      <div class="row">
        <button
          type="button"
          class="primary"
          onClick={() =>
            navigator.clipboard.writeText(props.secret).then(
              () => setCopied('yes'),
              () => setCopied('failed'),
            )
          }
        >
          Copy
        </button>
        <button type="button" onClick={props.onDone}>
          Done
        </button>
        <span role="status">
          {copied === 'yes' ? 'Copied.' : copied === 'failed' ? 'Copy failed: select the text.' : ''}
        </span>
      </div>
    </section>
  );
}

export function ApiKeysPage() {
  const keys = useLoad(() => api<{ keys: ApiKey[] }>('GET', '/v1/api-keys').then((r) => r.keys));
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([...SCOPES]);
  const [expires, setExpires] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const create = useAction();
  const revoke = useAction();

  return (
    <Page title="API keys">
      <p class="hint">Keys act in the organization selected above and carry only the scopes you give them.</p>
      {secret ? <NewSecret secret={secret} onDone={() => setSecret(null)} /> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create.run(async () => {
            const body: Record<string, unknown> = { name: name.trim(), scopes };
            if (expires) body.expiresAt = new Date(`${expires}T23:59:59Z`).toISOString();
            const created = await api<ApiKey & { key: string }>('POST', '/v1/api-keys', body);
            setSecret(created.key);
            setName('');
            await keys.reload();
          });
        }}
      >
        <label for="key-name">Name</label>
        <input
          id="key-name"
          required
          maxLength={100}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) =>
                  setScopes(e.currentTarget.checked ? [...scopes, s] : scopes.filter((x) => x !== s))
                }
              />
              {s}
            </label>
          ))}
        </fieldset>
        <label for="key-expiry">Expires (optional, at most a year)</label>
        <input
          id="key-expiry"
          type="date"
          value={expires}
          onInput={(e) => setExpires(e.currentTarget.value)}
        />
        <ErrorBox error={create.error} />
        <button type="submit" disabled={create.busy || scopes.length === 0}>
          {create.busy ? 'Creating…' : 'Create key'}
        </button>
      </form>

      <h2>Keys</h2>
      {keys.loading && !keys.data ? <Loading /> : null}
      <ErrorBox error={keys.error ?? revoke.error} />
      <table class="table">
        <caption class="visually-hidden">API keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Scopes</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(keys.data ?? []).map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.prefix}</code>
              </td>
              <td>{k.scopes.join(', ')}</td>
              <td>{k.expiresAt ? formatDate(k.expiresAt) : 'never'}</td>
              <td>{formatDate(k.lastUsedAt)}</td>
              <td>
                {k.revokedAt ? (
                  <span class="badge">revoked</span>
                ) : (
                  <button
                    type="button"
                    class="small danger"
                    onClick={() =>
                      void revoke.run(async () => {
                        if (!confirm(`Revoke “${k.name}”? Clients using it stop working at once.`)) return;
                        await api('DELETE', `/v1/api-keys/${encodeURIComponent(k.id)}`);
                        await keys.reload();
                      })
                    }
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}
