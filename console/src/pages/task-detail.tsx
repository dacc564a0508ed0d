/**
 * One task: its prompt, and per attempt the program the model wrote and its run's output and result
 * (all as text). A task still running is followed live through a fresh stream ticket. Delete erases
 * the task and its runs, after a confirmation.
 */
import type { Task } from '@airlock/client';
import { api } from '../api/client.ts';
import { Accounting } from '../components/run-output.tsx';
import { GeneratedCode, TaskLive, TaskOutcome } from '../components/task-live.tsx';
import { ErrorBox, formatDate, Loading, Page, useAction, useLoad } from '../components/ui.tsx';
import { navigate } from '../router.ts';

function StoredAttempts(props: { task: Task }) {
  const t = props.task;
  return (
    <>
      {t.attempts.map((a) => {
        const run = t.runs.find((r) => r.id === a.runId);
        return (
          <section key={a.attempt} class="attempt" aria-label={`Attempt ${a.attempt}`}>
            <h2>Attempt {a.attempt}</h2>
            <p class="muted">Outcome: {a.outcome}</p>
            {a.files.length > 0 ? <GeneratedCode files={a.files} attempt={a.attempt} /> : null}
            {run ? (
              <>
                <Accounting result={run} />
                <h3>Standard output</h3>
                <pre class="output" data-testid="stored-stdout" data-attempt={a.attempt}>
                  {run.stdout ?? ''}
                </pre>
                <h3>Standard error</h3>
                <pre class="output stderr">{run.stderr ?? ''}</pre>
              </>
            ) : null}
          </section>
        );
      })}
      <TaskOutcome
        end={{
          status: t.status,
          errorCode: t.errorCode,
          attempts: t.attempts.length,
          inputTokens: t.usage.inputTokens,
          outputTokens: t.usage.outputTokens,
        }}
      />
    </>
  );
}

export function TaskDetailPage(props: { id: string }) {
  const path = `/v1/tasks/${encodeURIComponent(props.id)}`;
  const task = useLoad(() => api<Task>('GET', path), [path]);
  // A running task: a fresh single-use ticket to watch it from the start (the stream replays).
  const ticket = useLoad(
    async () =>
      task.data?.status === 'running'
        ? api<{ streamUrl: string }>('POST', `${path}/stream-ticket`)
        : Promise.resolve(null),
    [task.data?.status],
  );
  const remove = useAction();
  const t = task.data;
  return (
    <Page title={`Task ${props.id.slice(0, 8)}`}>
      {task.loading && !t ? <Loading /> : null}
      <ErrorBox error={task.error ?? ticket.error ?? remove.error} />
      {t ? (
        <>
          <p>
            {t.provider} · {t.model} · {t.language} · created {formatDate(t.createdAt)} · finished{' '}
            {formatDate(t.finishedAt)}
          </p>
          <h2>Prompt</h2>
          <pre class="output prompt">{t.prompt}</pre>
          {t.status === 'running' && ticket.data ? (
            <TaskLive taskId={t.id} streamUrl={ticket.data.streamUrl} onEnd={() => void task.reload()} />
          ) : t.status !== 'running' ? (
            <StoredAttempts task={t} />
          ) : null}
          <h2>Delete</h2>
          <button
            type="button"
            class="danger"
            disabled={remove.busy}
            onClick={() => {
              if (!confirm('Delete this task, its programs and its runs? This cannot be undone.')) return;
              void remove.run(async () => {
                await api('DELETE', path);
                navigate('/tasks');
              });
            }}
          >
            Delete task
          </button>
        </>
      ) : null}
    </Page>
  );
}
