/**
 * Run code: language (from GET /v1/runtimes), editor, stdin, args, limits; Run starts an async run
 * and follows its stream live, reconnecting after a drop; Cancel stops it; the exit frame brings the
 * status and accounting.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { type Frame, followRun, type RunResult } from '../api/stream.ts';
import { CodeEditor } from '../components/editor.tsx';
import { Accounting, type Chunk, OutputView } from '../components/run-output.tsx';
import { ErrorBox, Link, Loading, Page, useAction, useLoad } from '../components/ui.tsx';

interface Runtimes {
  runtimes: { language: string; version?: string }[];
  limits: { defaultTimeoutMs: number; maxTimeoutMs: number; maxArgs: number };
}

const SAMPLES: Record<string, string> = {
  python: 'import sys\n\nname = sys.stdin.read().strip() or "world"\nprint(f"Hello, {name}!")\n',
  javascript:
    'const name = require("fs").readFileSync(0, "utf8").trim() || "world";\nconsole.log("Hello, " + name + "!");\n',
};
const sample = (language: string) => SAMPLES[language] ?? '';

type Phase = 'idle' | 'starting' | 'connecting' | 'open' | 'reconnecting' | 'ended' | 'failed';

export function RunPage() {
  const runtimes = useLoad(() => api<Runtimes>('GET', '/v1/runtimes'));
  const [language, setLanguage] = useState('python');
  const [code, setCode] = useState(sample('python'));
  const [codeReset, setCodeReset] = useState(0);
  const [stdin, setStdin] = useState('');
  const [args, setArgs] = useState('');
  const [timeoutMs, setTimeoutMs] = useState('');
  const [memoryMb, setMemoryMb] = useState('');
  const [runId, setRunId] = useState<string | null>(null);
  const [chunks, setChunks] = useState<Chunk[]>([]);
  const [result, setResult] = useState<RunResult | null>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [note, setNote] = useState('');
  const stream = useRef<{ stop(): void } | null>(null);
  const start = useAction();
  const cancel = useAction();

  useEffect(() => () => stream.current?.stop(), []);

  const onFrame = (frame: Frame) => {
    if (frame.type === 'stdout' || frame.type === 'stderr') {
      const chunk: Chunk = { seq: frame.seq, stream: frame.type, data: frame.data };
      setChunks((prev) => [...prev, chunk]);
    } else if (frame.type === 'exit') {
      setResult(frame.result);
      setNote('');
    } else if (frame.type === 'error') setNote(`${frame.code}: ${frame.message}`);
    else if (frame.type === 'started') setNote('Running…');
    else if (frame.type === 'accepted')
      setNote(frame.queued ? 'Queued: waiting for a sandbox…' : 'Starting…');
  };

  const run = () =>
    start.run(async () => {
      stream.current?.stop();
      setChunks([]);
      setResult(null);
      setNote('');
      setPhase('starting');
      const body: Record<string, unknown> = { language, code };
      if (stdin) body.stdin = stdin;
      const argList = args.split('\n').filter((a) => a.length > 0);
      if (argList.length > 0) body.args = argList;
      const limits: Record<string, number> = {};
      if (timeoutMs) limits.timeoutMs = Number(timeoutMs);
      if (memoryMb) limits.memoryMb = Number(memoryMb);
      if (Object.keys(limits).length > 0) body.limits = limits;
      try {
        const created = await api<{ id: string; streamUrl: string }>('POST', '/v1/runs', body);
        setRunId(created.id);
        stream.current = followRun(created.id, created.streamUrl, {
          onFrame,
          onState: (state, detail) => {
            setPhase(state);
            if (detail) setNote(detail);
          },
        });
      } catch (err) {
        setPhase('idle');
        throw err;
      }
    });

  const live = phase === 'starting' || phase === 'connecting' || phase === 'open' || phase === 'reconnecting';
  const languages = runtimes.data?.runtimes ?? [];

  return (
    <Page title="Run code">
      {runtimes.loading && !runtimes.data ? <Loading label="Loading languages…" /> : null}
      <ErrorBox error={runtimes.error} />
      <form
        class="run-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <div class="row">
          <label for="language">Language</label>
          <select
            id="language"
            value={language}
            onChange={(e) => {
              const next = e.currentTarget.value;
              if (code === sample(language)) {
                setCode(sample(next));
                setCodeReset((n) => n + 1);
              }
              setLanguage(next);
            }}
          >
            {(languages.length > 0 ? languages : [{ language: 'python' }]).map((r) => (
              <option key={r.language} value={r.language}>
                {r.version && !r.version.toLowerCase().startsWith(r.language)
                  ? `${r.language} ${r.version}`
                  : (r.version ?? r.language)}
              </option>
            ))}
          </select>
        </div>
        <p id="code-label" class="label">
          Code
        </p>
        <CodeEditor
          language={language}
          value={code}
          reset={codeReset}
          onChange={setCode}
          labelledBy="code-label"
        />
        <details>
          <summary>Input, arguments and limits</summary>
          <label for="stdin">Standard input</label>
          <textarea id="stdin" rows={3} value={stdin} onInput={(e) => setStdin(e.currentTarget.value)} />
          <label for="args">Arguments (one per line)</label>
          <textarea id="args" rows={2} value={args} onInput={(e) => setArgs(e.currentTarget.value)} />
          <div class="row">
            <label for="timeout">
              Timeout (ms)
              <input
                id="timeout"
                type="number"
                min={100}
                max={runtimes.data?.limits.maxTimeoutMs}
                placeholder={String(runtimes.data?.limits.defaultTimeoutMs ?? '')}
                value={timeoutMs}
                onInput={(e) => setTimeoutMs(e.currentTarget.value)}
              />
            </label>
            <label for="memory">
              Memory (MB)
              <input
                id="memory"
                type="number"
                min={1}
                value={memoryMb}
                onInput={(e) => setMemoryMb(e.currentTarget.value)}
              />
            </label>
          </div>
        </details>
        <ErrorBox error={start.error ?? cancel.error} />
        <div class="row">
          <button type="submit" class="primary" disabled={start.busy || live}>
            {live ? 'Running…' : 'Run'}
          </button>
          <button
            type="button"
            disabled={!live || !runId || cancel.busy}
            onClick={() =>
              void cancel.run(async () => {
                if (runId) await api('POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`);
              })
            }
          >
            Cancel
          </button>
          <span class="muted" role="status" data-testid="stream-state">
            {phase === 'idle' ? '' : phase === 'reconnecting' ? 'Connection dropped: reconnecting…' : phase}
          </span>
        </div>
      </form>
      {note ? <p class="muted">{note}</p> : null}
      <h2>Output</h2>
      <OutputView chunks={chunks} label="Run output" />
      {result ? <Accounting result={result} /> : null}
      {runId && result ? (
        <p>
          <Link href={`/runs/${runId}`}>Open this run</Link>
        </p>
      ) : null}
    </Page>
  );
}
