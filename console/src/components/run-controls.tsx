/**
 * What every page that starts a run shows around useRunStream: the Run and Cancel buttons with the
 * stream's state, and below the form the note, the output as it arrives, the accounting and a link
 * to the stored run.
 */
import { Accounting, OutputView } from './run-output.tsx';
import type { RunStream } from './run-stream.ts';
import { ErrorBox, Link } from './ui.tsx';

/** Inside the run's form: its submit button starts the run. */
export function RunControls(props: { run: RunStream; ready?: boolean }) {
  const { run } = props;
  return (
    <>
      <ErrorBox error={run.error} />
      <div class="row">
        <button type="submit" class="primary" disabled={run.starting || run.live || props.ready === false}>
          {run.live ? 'Running…' : 'Run'}
        </button>
        <button
          type="button"
          disabled={!run.live || !run.runId || run.cancelling}
          onClick={() => void run.cancel()}
        >
          Cancel
        </button>
        <span class="muted" role="status" data-testid="stream-state">
          {run.phase === 'idle'
            ? ''
            : run.phase === 'reconnecting'
              ? 'Connection dropped: reconnecting…'
              : run.phase}
        </span>
      </div>
    </>
  );
}

/** After the form. `hideIdle`: no empty output box before the first run. */
export function RunLiveOutput(props: { run: RunStream; heading: 'h2' | 'h3'; hideIdle?: boolean }) {
  const { run } = props;
  const Heading = props.heading;
  return (
    <>
      {run.note ? <p class="muted">{run.note}</p> : null}
      {props.hideIdle && run.phase === 'idle' ? null : (
        <>
          <Heading>Output</Heading>
          <OutputView chunks={run.chunks} label="Run output" />
        </>
      )}
      {run.result ? <Accounting result={run.result} /> : null}
      {run.runId && run.result ? (
        <p>
          <Link href={`/runs/${run.runId}`}>Open this run</Link>
        </p>
      ) : null}
    </>
  );
}
