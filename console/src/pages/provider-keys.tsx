/** Provider keys (bring your own key): only the masked hint ever comes back; replace or delete. */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ErrorBox, formatDate, Loading, Page, useAction, useLoad } from '../components/ui.tsx';

const PROVIDERS = ['openai', 'anthropic', 'openrouter', 'google'] as const;
interface ProviderKey {
  provider: string;
  hint: string;
  createdAt: string;
  updatedAt: string;
}

export function ProviderKeysPage() {
  const keys = useLoad(() => api<{ keys: ProviderKey[] }>('GET', '/v1/provider-keys').then((r) => r.keys));
  const [provider, setProvider] = useState<string>(PROVIDERS[0]);
  const [secret, setSecret] = useState('');
  const save = useAction();
  const remove = useAction();
  return (
    <Page title="Provider keys">
      <p class="hint">
        Keys for AI providers, encrypted at rest. Airlock never shows a stored key again: only its hint.
      </p>
      {keys.loading && !keys.data ? <Loading /> : null}
      <ErrorBox error={keys.error ?? remove.error} />
      <table class="table">
        <caption class="visually-hidden">Stored provider keys</caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Key</th>
            <th scope="col">Updated</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(keys.data ?? []).map((k) => (
            <tr key={k.provider} data-provider={k.provider}>
              <td>{k.provider}</td>
              <td>
                <code class="hint-value">{k.hint}</code>
              </td>
              <td>{formatDate(k.updatedAt)}</td>
              <td>
                <button type="button" class="small" onClick={() => setProvider(k.provider)}>
                  Replace
                </button>{' '}
                <button
                  type="button"
                  class="small danger"
                  onClick={() =>
                    void remove.run(async () => {
                      if (!confirm(`Delete the ${k.provider} key?`)) return;
                      await api('DELETE', `/v1/provider-keys/${encodeURIComponent(k.provider)}`);
                      await keys.reload();
                    })
                  }
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
          {keys.data?.length === 0 ? (
            <tr>
              <td colSpan={4}>No keys stored.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <h2>Store or replace a key</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save.run(async () => {
            await api('PUT', `/v1/provider-keys/${encodeURIComponent(provider)}`, { key: secret.trim() });
            setSecret('');
            await keys.reload();
          });
        }}
      >
        <label for="provider">Provider</label>
        <select id="provider" value={provider} onChange={(e) => setProvider(e.currentTarget.value)}>
          {PROVIDERS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <label for="provider-secret">Key</label>
        <input
          id="provider-secret"
          type="password"
          autocomplete="off"
          required
          minLength={16}
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
        <ErrorBox error={save.error} />
        <button type="submit" disabled={save.busy}>
          {save.busy ? 'Saving…' : 'Save key'}
        </button>
      </form>
    </Page>
  );
}
