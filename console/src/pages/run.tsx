/**
 * Run code: language (from GET /v1/runtimes), editor, stdin, args, limits; Run starts an async run
 * and follows its stream live, reconnecting after a drop; Cancel stops it; the exit frame brings the
 * status and accounting.
 */
import type { RunRequest } from '@airlock/client';
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { CodeEditor } from '../components/editor.tsx';
import { RunControls, RunLiveOutput } from '../components/run-controls.tsx';
import { useRunStream } from '../components/run-stream.ts';
import { ErrorBox, Loading, Page, useLoad } from '../components/ui.tsx';

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

export function RunPage() {
  const runtimes = useLoad(() => api<Runtimes>('GET', '/v1/runtimes'));
  const [language, setLanguage] = useState('python');
  const [code, setCode] = useState(sample('python'));
  const [codeReset, setCodeReset] = useState(0);
  const [stdin, setStdin] = useState('');
  const [args, setArgs] = useState('');
  const [timeoutMs, setTimeoutMs] = useState('');
  const [memoryMb, setMemoryMb] = useState('');
  const run = useRunStream();

  const submit = () => {
    const body: RunRequest = { language, code };
    if (stdin) body.stdin = stdin;
    const argList = args.split('\n').filter((a) => a.length > 0);
    if (argList.length > 0) body.args = argList;
    const limits: NonNullable<RunRequest['limits']> = {};
    if (timeoutMs) limits.timeoutMs = Number(timeoutMs);
    if (memoryMb) limits.memoryMb = Number(memoryMb);
    if (Object.keys(limits).length > 0) body.limits = limits;
    return run.start(body);
  };

  const languages = runtimes.data?.runtimes ?? [];

  return (
    <Page title="Run code">
      {runtimes.loading && !runtimes.data ? <Loading label="Loading languages…" /> : null}
      <ErrorBox error={runtimes.error} />
      <form
        class="run-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
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
        <RunControls run={run} />
      </form>
      <RunLiveOutput run={run} heading="h2" />
    </Page>
  );
}
