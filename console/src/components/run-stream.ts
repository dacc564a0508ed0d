/**
 * Starts a run and follows its stream live, as the Run code page does: output chunks in order, the
 * exit frame's accounting, a status note, reconnection handled by followRun. For pages that start a
 * run from something other than the editor (the files page).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { type Frame, followRun, type RunResult } from '../api/stream.ts';
import type { Chunk } from './run-output.tsx';

export type Phase = 'idle' | 'starting' | 'connecting' | 'open' | 'reconnecting' | 'ended' | 'failed';

export function useRunStream() {
  const [runId, setRunId] = useState<string | null>(null);
  const [chunks, setChunks] = useState<Chunk[]>([]);
  const [result, setResult] = useState<RunResult | null>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [note, setNote] = useState('');
  const stream = useRef<{ stop(): void } | null>(null);

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

  /** POST /v1/runs with `body`, then follow the stream; a refused start leaves the page idle and throws. */
  const start = async (body: Record<string, unknown>) => {
    stream.current?.stop();
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
  };

  const live = phase === 'starting' || phase === 'connecting' || phase === 'open' || phase === 'reconnecting';
  return { runId, chunks, result, phase, note, live, start };
}
