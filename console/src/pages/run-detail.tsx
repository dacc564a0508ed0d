/** One run: its result and output (as text), and Cancel while it is in progress. */
import type { Run } from '@airlock/client';
import { isRunActive } from '@airlock/protocol/statuses';
import { api } from '../api/client.ts';
import { Accounting } from '../components/run-output.tsx';
import { ErrorBox, formatDate, Loading, Page, useAction, useLoad } from '../components/ui.tsx';

export function RunDetailPage(props: { id: string }) {
  const path = `/v1/runs/${encodeURIComponent(props.id)}`;
  const run = useLoad(() => api<Run>('GET', path), [path]);
  const cancel = useAction();
  const r = run.data;
  return (
    <Page title={`Run ${props.id.slice(0, 8)}`}>
      {run.loading && !r ? <Loading /> : null}
      <ErrorBox error={run.error ?? cancel.error} />
      {r ? (
        <>
          <p>
            {r.language} · created {formatDate(r.createdAt)} · finished {formatDate(r.finishedAt)}
          </p>
          <Accounting result={r} />
          {isRunActive(r.status) ? (
            <button
              type="button"
              disabled={cancel.busy}
              onClick={() =>
                void cancel.run(async () => {
                  await api('POST', `${path}/cancel`);
                  await run.reload();
                })
              }
            >
              Cancel
            </button>
          ) : null}
          <h2>Standard output</h2>
          <pre class="output">{r.stdout ?? ''}</pre>
          <h2>Standard error</h2>
          <pre class="output stderr">{r.stderr ?? ''}</pre>
        </>
      ) : null}
    </Page>
  );
}
