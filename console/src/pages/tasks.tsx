/**
 * Tasks: a prompt, a provider and model (what GET /v1/tasks/models says this deployment offers), a
 * language; Start creates the task and follows its stream live (task-live.tsx). Below, the task
 * history of the current organization, newest first.
 */
import type { TaskPage } from '@airlock/client';
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { TaskLive } from '../components/task-live.tsx';
import { ErrorBox, formatDate, Link, Loading, Page, useAction, useLoad } from '../components/ui.tsx';

interface Offered {
  providers: { provider: string; models: string[]; anyModel: boolean }[];
  limits: { maxPromptBytes: number; maxAttempts: number };
}

const PROVIDER_NAMES: Record<string, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  openrouter: 'OpenRouter',
  google: 'Google',
};

function TaskHistory(props: { version: number }) {
  const list = useLoad(() => api<TaskPage>('GET', '/v1/tasks?limit=20'), [props.version]);
  const tasks = list.data?.tasks ?? [];
  return (
    <>
      <h2>History</h2>
      {list.loading && !list.data ? <Loading label="Loading tasks…" /> : null}
      <ErrorBox error={list.error} />
      {list.data && tasks.length === 0 ? <p class="muted">No tasks yet.</p> : null}
      {tasks.length > 0 ? (
        <div class="scroll">
          <table class="table" aria-label="Tasks">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Model</th>
                <th scope="col">Language</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((t) => (
                <tr key={t.id} data-task={t.id}>
                  <td>
                    <Link href={`/tasks/${t.id}`}>{formatDate(t.createdAt)}</Link>
                  </td>
                  <td>
                    {PROVIDER_NAMES[t.provider] ?? t.provider} · {t.model}
                  </td>
                  <td>{t.language}</td>
                  <td>{t.errorCode ? `${t.status} (${t.errorCode})` : t.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

export function TasksPage() {
  const offered = useLoad(() => api<Offered>('GET', '/v1/tasks/models'));
  const runtimes = useLoad(() => api<{ runtimes: { language: string }[] }>('GET', '/v1/runtimes'));
  const [prompt, setPrompt] = useState('');
  const [provider, setProvider] = useState('');
  const [model, setModel] = useState('');
  const [language, setLanguage] = useState('python');
  const [maxAttempts, setMaxAttempts] = useState('1');
  const [live, setLive] = useState<{ id: string; streamUrl: string } | null>(null);
  const [historyVersion, setHistoryVersion] = useState(0);
  const start = useAction();

  const providers = offered.data?.providers ?? [];
  const chosen = providers.find((p) => p.provider === provider) ?? providers[0];
  const modelValue = model || (chosen && !chosen.anyModel ? (chosen.models[0] ?? '') : model);
  const languages = runtimes.data?.runtimes.map((r) => r.language) ?? ['python'];

  const submit = () =>
    start.run(async () => {
      if (!chosen) return;
      setLive(null);
      const created = await api<{ id: string; streamUrl: string }>('POST', '/v1/tasks', {
        prompt,
        provider: chosen.provider,
        model: modelValue,
        language,
        maxAttempts: Number(maxAttempts) || 1,
      });
      setLive(created);
      setHistoryVersion((v) => v + 1);
    });

  return (
    <Page title="Tasks">
      <p class="hint">
        Your own model writes a program from your prompt, and Airlock runs it. It uses the key you stored
        under <Link href="/provider-keys">Provider keys</Link>.
      </p>
      {offered.loading && !offered.data ? <Loading label="Loading models…" /> : null}
      <ErrorBox error={offered.error ?? runtimes.error} />
      {offered.data && providers.length === 0 ? (
        <p class="muted">This deployment offers no models for tasks.</p>
      ) : null}
      {chosen ? (
        <form
          class="task-form"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <label for="task-prompt">Prompt</label>
          <textarea
            id="task-prompt"
            rows={5}
            required
            value={prompt}
            onInput={(e) => setPrompt(e.currentTarget.value)}
          />
          <div class="row">
            <div class="field">
              <label for="task-provider">Provider</label>
              <select
                id="task-provider"
                value={chosen.provider}
                onChange={(e) => {
                  setProvider(e.currentTarget.value);
                  setModel('');
                }}
              >
                {providers.map((p) => (
                  <option key={p.provider} value={p.provider}>
                    {PROVIDER_NAMES[p.provider] ?? p.provider}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="task-model">Model</label>
              {chosen.anyModel ? (
                <>
                  <input
                    id="task-model"
                    list="task-models"
                    required
                    maxLength={128}
                    value={model}
                    onInput={(e) => setModel(e.currentTarget.value)}
                  />
                  <datalist id="task-models">
                    {chosen.models.map((m) => (
                      <option key={m} value={m} />
                    ))}
                  </datalist>
                </>
              ) : (
                <select id="task-model" value={modelValue} onChange={(e) => setModel(e.currentTarget.value)}>
                  {chosen.models.map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                </select>
              )}
            </div>
            <div class="field">
              <label for="task-language">Language</label>
              <select
                id="task-language"
                value={language}
                onChange={(e) => setLanguage(e.currentTarget.value)}
              >
                {languages.map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="task-attempts">Attempts</label>
              <input
                id="task-attempts"
                type="number"
                min={1}
                max={offered.data?.limits.maxAttempts}
                value={maxAttempts}
                onInput={(e) => setMaxAttempts(e.currentTarget.value)}
              />
            </div>
          </div>
          <ErrorBox error={start.error} />
          <div class="row">
            <button type="submit" class="primary" disabled={start.busy}>
              {start.busy ? 'Starting…' : 'Start task'}
            </button>
            {start.busy ? <Loading label="Asking the model…" /> : null}
          </div>
        </form>
      ) : null}
      {live ? (
        <>
          <p>
            <Link href={`/tasks/${live.id}`}>Open this task</Link>
          </p>
          <TaskLive
            key={live.id}
            taskId={live.id}
            streamUrl={live.streamUrl}
            onEnd={() => setHistoryVersion((v) => v + 1)}
          />
        </>
      ) : null}
      <TaskHistory version={historyVersion} />
    </Page>
  );
}
