/**
 * A task as it happens, from its stream (GET /v1/tasks/{id}/stream): per attempt the model's tokens
 * as they arrive, the program taken from the reply, the run's output and result; at the end the
 * task's status and token usage. Reconnects like the run page (fresh ticket, `from`). Everything the
 * model or the program wrote is rendered as text; links in the reply pass `safeUrl()` (model-text.tsx).
 */
import type { RunResult, TaskAttempt, TaskFrame, TaskStatus } from '@airlock/client';
import { useEffect, useState } from 'preact/hooks';
import { followStream } from '../api/stream.ts';
import { ModelText } from './model-text.tsx';
import { Accounting, type Chunk, OutputView } from './run-output.tsx';
import { Loading } from './ui.tsx';

export type SourceFile = TaskAttempt['files'][number];

/** How a task ended (its `end` frame), or how a stored task stands. */
export interface TaskEnd {
  status: TaskStatus;
  errorCode: string | null;
  attempts: number;
  inputTokens: number;
  outputTokens: number;
}

interface Attempt {
  attempt: number;
  reply: string;
  files: SourceFile[] | null;
  chunks: Chunk[];
  result: RunResult | null;
  error: string | null;
}

const emptyAttempt = (attempt: number): Attempt => ({
  attempt,
  reply: '',
  files: null,
  chunks: [],
  result: null,
  error: null,
});

/** Folds one frame into the attempts (pure, so replays and reconnects land the same way). */
function apply(attempts: Attempt[], frame: TaskFrame): Attempt[] {
  if (frame.type === 'end') return attempts;
  const n = frame.attempt;
  const list = attempts.some((a) => a.attempt === n) ? attempts : [...attempts, emptyAttempt(n)];
  return list.map((a) => {
    if (a.attempt !== n) return a;
    switch (frame.type) {
      case 'token':
        return { ...a, reply: a.reply + frame.text };
      case 'program':
        return { ...a, files: frame.files };
      case 'stdout':
      case 'stderr':
        return { ...a, chunks: [...a.chunks, { seq: frame.seq, stream: frame.type, data: frame.data }] };
      case 'exit':
        return { ...a, result: frame.result };
      case 'error':
        return { ...a, error: `${frame.code}: ${frame.message}` };
      default:
        return a;
    }
  });
}

export function GeneratedCode(props: { files: SourceFile[]; attempt: number }) {
  return (
    <>
      {props.files.map((f) => (
        <figure key={f.name} class="code-file">
          <figcaption>{f.name}</figcaption>
          <pre class="output code" data-testid="generated-code" data-attempt={props.attempt}>
            {f.content}
          </pre>
        </figure>
      ))}
    </>
  );
}

export function TaskOutcome(props: { end: TaskEnd }) {
  const e = props.end;
  return (
    <dl class="facts">
      <dt>Task status</dt>
      <dd data-testid="task-status">{e.status}</dd>
      {e.errorCode ? (
        <>
          <dt>Error</dt>
          <dd>{e.errorCode}</dd>
        </>
      ) : null}
      <dt>Attempts</dt>
      <dd>{e.attempts}</dd>
      <dt>Tokens in / out</dt>
      <dd>
        {e.inputTokens} / {e.outputTokens}
      </dd>
    </dl>
  );
}

export function TaskLive(props: { taskId: string; streamUrl: string; onEnd?: (end: TaskEnd) => void }) {
  const [attempts, setAttempts] = useState<Attempt[]>([]);
  const [end, setEnd] = useState<TaskEnd | null>(null);
  const [state, setState] = useState<string>('connecting');
  const [note, setNote] = useState('');

  useEffect(() => {
    setAttempts([]);
    setEnd(null);
    const stream = followStream<TaskFrame>(
      `/v1/tasks/${encodeURIComponent(props.taskId)}/stream-ticket`,
      props.streamUrl,
      {
        onFrame: (frame) => {
          if (frame.type === 'end') {
            const { status, errorCode, attempts: n, inputTokens, outputTokens } = frame;
            const outcome = { status, errorCode, attempts: n, inputTokens, outputTokens };
            setEnd(outcome);
            props.onEnd?.(outcome);
          } else setAttempts((prev) => apply(prev, frame));
        },
        onState: (next, detail) => {
          setState(next);
          setNote(detail ?? '');
        },
      },
      'end',
    );
    return () => stream.stop();
  }, [props.taskId, props.streamUrl]);

  const waiting = !end && attempts.length === 0;
  return (
    <div class="task-live">
      <p class="muted" role="status" data-testid="task-stream-state">
        {state === 'reconnecting' ? 'Connection dropped: reconnecting…' : state}
        {note ? ` — ${note}` : ''}
      </p>
      {waiting ? <Loading label="Waiting for the model…" /> : null}
      {attempts.map((a) => (
        <section key={a.attempt} class="attempt" aria-label={`Attempt ${a.attempt}`}>
          <h2>Attempt {a.attempt}</h2>
          <h3>Model reply</h3>
          <ModelText text={a.reply} label={`Model reply, attempt ${a.attempt}`} />
          {a.files ? (
            <>
              <h3>Generated code</h3>
              <GeneratedCode files={a.files} attempt={a.attempt} />
              <h3>Run output</h3>
              <OutputView chunks={a.chunks} label={`Run output, attempt ${a.attempt}`} />
              {a.result ? <Accounting result={a.result} /> : !end ? <Loading label="Running…" /> : null}
            </>
          ) : !end ? (
            <Loading label="The model is writing…" />
          ) : null}
          {a.error ? <p class="error">{a.error}</p> : null}
        </section>
      ))}
      {end ? <TaskOutcome end={end} /> : null}
    </div>
  );
}
