/**
 * One run sent to a sandbox host directly over its WebSocket, with a token signed as the edge signs one
 * (./run-token.ts): the host's own latency, to set beside the same run through the edge (the benches'
 * same-run baseline: edge-runs.ts, tasks-overhead.ts, noisy-neighbour.ts).
 */
import { randomUUID } from 'node:crypto';
import { HOST_PATHS, type RunRequest } from '@airlock/protocol';
import WebSocket from 'ws';
import { signRunToken } from './run-token.ts';

export interface DirectRun {
  runId: string;
  /** The final status, or the host's error code. */
  status: string;
  /** From just before the token is signed to the exit frame. */
  ms: number;
  /** From the same instant to the first stdout frame; NaN when the run printed nothing. */
  firstOutputMs: number;
}

export async function directRun(
  hostUrl: string,
  hostId: string,
  key: CryptoKey,
  request: RunRequest,
): Promise<DirectRun> {
  const runId = randomUUID();
  const t0 = performance.now();
  const token = await signRunToken(key, hostId, runId, request);
  return new Promise((resolve) => {
    const ws = new WebSocket(`${hostUrl}${HOST_PATHS.run}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    let firstOutputMs = Number.NaN;
    const end = (status: string) => {
      resolve({ runId, status, ms: performance.now() - t0, firstOutputMs });
      ws.terminate();
    };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'run', runId, request })));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; code?: string; result?: { status: string } };
      if (frame.type === 'stdout' && Number.isNaN(firstOutputMs)) firstOutputMs = performance.now() - t0;
      if (frame.type === 'exit') end(frame.result?.status ?? 'exit');
      if (frame.type === 'error') end(frame.code ?? 'error');
    });
    ws.on('error', (err) => end(err.name));
  });
}
