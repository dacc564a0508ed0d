/**
 * Starts a run and follows its stream live, for every page that starts one (Run code, a file's page):
 * output chunks in order, the exit frame's result, a status note, reconnection handled by followRun,
 * and Cancel (POST /v1/runs/{id}/cancel) while it is live. The controls and the output that go with
 * it are in run-controls.tsx.
 */
import type { Frame, RunRequest, RunResult } from '@airlock/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { followRun } from '../api/stream.ts';
import type { Chunk } from './run-output.tsx';
import { useAction } from './ui.tsx';

export type Phase = 'idle' | 'starting' | 'connecting' | 'open' | 'reconnecting' | 'ended' | 'failed';

export function useRunStream() {
  const [runId, setRunId] = useState<string | null>(null);
  const [chunks, setChunks] = useState<Chunk[]>([]);
  const [result, setResult] = useState<RunResult | null>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [note, setNote] = useState('');
  const stream = useRef<{ stop(): void } | null>(null);
  const starting = useAction();
  const cancelling = useAction();

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
  };

  /** POST /v1/runs with `body`, then follow the stream; a refused start leaves the page idle with the error. */
  const start = (body: RunRequest) =>
    starting.run(async () => {
      stream.current?.stop();
      cancelling.setError(null);
      setRunId(null);
      setChunks([]);
      setResult(null);
      setNote('');
      setPhase('starting');
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

  /** Asks the edge to stop the run; its stream then ends with the `cancelled` result. */
  const cancel = () =>
    cancelling.run(async () => {
      if (runId) await api('POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`);
    });

  const live = phase === 'starting' || phase === 'connecting' || phase === 'open' || phase === 'reconnecting';
  return {
    runId,
    chunks,
    result,
    phase,
    note,
    live,
    start,
    cancel,
    starting: starting.busy,
    cancelling: cancelling.busy,
    error: starting.error ?? cancelling.error,
  };
}

export type RunStream = ReturnType<typeof useRunStream>;
