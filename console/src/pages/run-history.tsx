/** Run history of the current organization, filtered by status and language, paged by cursor. */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ErrorBox, formatDate, Link, Loading, Page, useAction } from '../components/ui.tsx';

export interface RunView {
  id: string;
  language: string;
  status: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string | null;
  stderr: string | null;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  wallMs: number | null;
  cpuMs: number | null;
  peakMemoryBytes: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * The filter's choices: any, in progress, and the protocol's final statuses (RUN_STATUSES in
 * @airlock/protocol). Copied, not imported: that module builds zod schemas, and zod probes
 * `new Function` at load, which the page's Trusted Types policy reports as a violation.
 */
const STATUSES = [
  '',
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'oom_killed',
  'output_limited',
  'cancelled',
  'compile_failed',
  'sandbox_unavailable',
  'host_lost',
  'file_missing',
];

export function RunHistoryPage() {
  const [status, setStatus] = useState('');
  const [language, setLanguage] = useState('');
  const [runs, setRuns] = useState<RunView[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const load = useAction();

  const fetchPage = (cursor: string | null) =>
    load.run(async () => {
      const q = new URLSearchParams({ limit: '20' });
      if (status) q.set('status', status);
      if (language.trim()) q.set('language', language.trim());
      if (cursor) q.set('cursor', cursor);
      const page = await api<{ runs: RunView[]; nextCursor: string | null }>('GET', `/v1/runs?${q}`);
      setRuns(cursor ? [...(runs ?? []), ...page.runs] : page.runs);
      setNext(page.nextCursor);
    });

  if (runs === null && !load.busy && !load.error) void fetchPage(null);

  return (
    <Page title="Run history">
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void fetchPage(null);
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
        <button type="submit" disabled={load.busy}>
          Filter
        </button>
      </form>
      <ErrorBox error={load.error} />
      {load.busy && runs === null ? <Loading /> : null}
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
      {next ? (
        <button type="button" disabled={load.busy} onClick={() => void fetchPage(next)}>
          {load.busy ? 'Loading…' : 'More'}
        </button>
      ) : null}
    </Page>
  );
}
