/** Run history of the current organization, filtered by status and language, paged by cursor. */
import type { Run, RunPage } from '@airlock/client';
import { RUN_VIEW_STATUSES } from '@airlock/protocol/statuses';
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { LoadMore, usePaged } from '../components/paged.tsx';
import { ErrorBox, formatDate, Link, Loading, Page } from '../components/ui.tsx';

/** The filter's choices: any, then every status a stored run has (zod-free module: see its header). */
const STATUSES = ['', ...RUN_VIEW_STATUSES];

export function RunHistoryPage() {
  const [status, setStatus] = useState('');
  const [language, setLanguage] = useState('');
  const list = usePaged(
    (q) => {
      if (status) q.set('status', status);
      if (language.trim()) q.set('language', language.trim());
      return api<RunPage>('GET', `/v1/runs?${q}`);
    },
    (page) => page.runs,
  );
  const runs: Run[] | null = list.items;

  return (
    <Page title="Run history">
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void list.reload();
        }}
      >
        <label for="filter-status">Status</label>
        <select id="filter-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s || 'any'}
            </option>
          ))}
        </select>
        <label for="filter-language">Language</label>
        <input
          id="filter-language"
          value={language}
          placeholder="any"
          onInput={(e) => setLanguage(e.currentTarget.value)}
        />
        <button type="submit" disabled={list.busy}>
          Filter
        </button>
      </form>
      <ErrorBox error={list.error} />
      {list.busy && runs === null ? <Loading /> : null}
      <table class="table">
        <caption class="visually-hidden">Runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Language</th>
            <th scope="col">Status</th>
            <th scope="col">Wall</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {(runs ?? []).map((r) => (
            <tr key={r.id}>
              <td>
                <Link href={`/runs/${r.id}`}>{r.id.slice(0, 8)}</Link>
              </td>
              <td>{r.language}</td>
              <td>
                <span class={`badge status-${r.status}`}>{r.status}</span>
              </td>
              <td>{r.wallMs === null ? '—' : `${r.wallMs} ms`}</td>
              <td>{formatDate(r.createdAt)}</td>
            </tr>
          ))}
          {runs?.length === 0 ? (
            <tr>
              <td colSpan={5}>No runs match.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <LoadMore list={list} what="runs" />
    </Page>
  );
}
