/**
 * A run's output as it arrives: one element per frame, rendered as text (JSX text nodes), never as
 * HTML, whatever the program printed. stderr is marked so it can be told apart without colour.
 */
import type { Run } from '@airlock/client';

export interface Chunk {
  seq: number;
  stream: 'stdout' | 'stderr';
  data: string;
}

export function OutputView(props: { chunks: Chunk[]; label: string }) {
  return (
    <pre class="output" role="log" aria-label={props.label}>
      {props.chunks.map((c) => (
        <span key={c.seq} class={c.stream} data-seq={c.seq} data-stream={c.stream}>
          {c.data}
        </span>
      ))}
    </pre>
  );
}

const ms = (v: number | null) => (v === null ? '—' : `${v} ms`);
const mib = (v: number | null) => (v === null ? '—' : `${(v / 1048576).toFixed(1)} MiB`);

/** What the accounting shows, of a stored run or of a result (whose every field fits a stored run's). */
type Measured = Pick<
  Run,
  | 'status'
  | 'exitCode'
  | 'signal'
  | 'stdoutTruncated'
  | 'stderrTruncated'
  | 'wallMs'
  | 'cpuMs'
  | 'peakMemoryBytes'
>;

export function Accounting(props: { result: Measured }) {
  const r = props.result;
  return (
    <dl class="facts accounting">
      <dt>Status</dt>
      <dd data-testid="run-status">{r.status}</dd>
      <dt>Exit code</dt>
      <dd>{r.exitCode ?? (r.signal ? `signal ${r.signal}` : '—')}</dd>
      <dt>Wall time</dt>
      <dd>{ms(r.wallMs)}</dd>
      <dt>CPU time</dt>
      <dd>{ms(r.cpuMs)}</dd>
      <dt>Peak memory</dt>
      <dd>{mib(r.peakMemoryBytes)}</dd>
      {r.stdoutTruncated || r.stderrTruncated ? (
        <>
          <dt>Truncated</dt>
          <dd>{[r.stdoutTruncated && 'stdout', r.stderrTruncated && 'stderr'].filter(Boolean).join(', ')}</dd>
        </>
      ) : null}
    </dl>
  );
}
