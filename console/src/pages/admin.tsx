/**
 * Platform administration (admins only): stats, users, billing and the audit log. The navigation hides
 * this page from non-admins; the page itself refuses them too, and the edge answers 403 regardless.
 * Every value is rendered as text: audit metadata and user agents are attacker-controlled strings.
 */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import type { Me } from '../app.tsx';
import { ErrorBox, Loading, Page, useLoad } from '../components/ui.tsx';

type Row = Record<string, unknown>;
const TABS = ['stats', 'users', 'billing', 'audit'] as const;
type Tab = (typeof TABS)[number];

const cell = (v: unknown) =>
  v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** The audit columns worth a glance, in reading order; the full entry is each row's tooltip. */
const AUDIT_COLUMNS = [
  'at',
  'action',
  'outcome',
  'actorUserId',
  'orgId',
  'targetType',
  'targetId',
  'ip',
  'userAgent',
  'requestId',
  'metadata',
];

function DataTable(props: { rows: Row[]; caption: string; columns?: string[] }) {
  const columns = props.columns ?? [...new Set(props.rows.flatMap((r) => Object.keys(r)))];
  if (props.rows.length === 0) return <p>Nothing to show.</p>;
  return (
    <div class="scroll">
      <table class="table">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c} title={cell(r[c])}>
                  {cell(r[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function TabBody(props: { tab: Tab; filter: string }) {
  const q = props.filter.trim();
  const load = useLoad(async (): Promise<Row[] | Row> => {
    if (props.tab === 'stats') return api<Row>('GET', '/v1/admin/stats');
    if (props.tab === 'users')
      return (await api<{ users: Row[] }>('GET', `/v1/admin/users${q ? `?q=${encodeURIComponent(q)}` : ''}`))
        .users;
    if (props.tab === 'billing') return (await api<{ orgs: Row[] }>('GET', '/v1/admin/billing')).orgs;
    return (
      await api<{ entries: Row[] }>('GET', `/v1/admin/audit${q ? `?action=${encodeURIComponent(q)}` : ''}`)
    ).entries;
  }, [props.tab, q]);
  if (load.loading && !load.data) return <Loading />;
  if (load.error) return <ErrorBox error={load.error} />;
  if (Array.isArray(load.data)) {
    const columns = props.tab === 'audit' ? AUDIT_COLUMNS : undefined;
    return <DataTable rows={load.data} caption={props.tab} columns={columns} />;
  }
  return <pre class="output">{JSON.stringify(load.data, null, 2)}</pre>;
}

export function AdminPage(props: { me: Me }) {
  const [tab, setTab] = useState<Tab>('stats');
  const [filter, setFilter] = useState('');
  const [applied, setApplied] = useState('');
  if (!props.me.isAdmin) {
    return (
      <Page title="Admin">
        <p role="alert" class="error">
          This page is for platform administrators only.
        </p>
      </Page>
    );
  }
  return (
    <Page title="Admin">
      <div role="tablist" aria-label="Admin sections" class="tabs">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            onClick={() => {
              setTab(t);
              setFilter('');
              setApplied('');
            }}
          >
            {t}
          </button>
        ))}
      </div>
      {tab === 'users' || tab === 'audit' ? (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied(filter);
          }}
        >
          <label for="admin-filter">{tab === 'users' ? 'Email starts with' : 'Action'}</label>
          <input id="admin-filter" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
          <button type="submit">Filter</button>
        </form>
      ) : null}
      <div role="tabpanel">
        <TabBody tab={tab} filter={applied} />
      </div>
    </Page>
  );
}
