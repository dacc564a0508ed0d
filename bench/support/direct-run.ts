/**
 * One run sent straight to a sandbox host, as the edge sends it (a run token signed with the edge's
 * key, the host's run WebSocket, the `run` frame): the same-run baseline the benches set the edge's
 * figures beside. Times are from before the token is signed to the first stdout frame and to `exit`.
 */
import { randomUUID } from 'node:crypto';
import { HOST_PATHS, type RunRequest } from '@airlock/protocol';
import WebSocket from 'ws';
import { signRunToken } from './run-token.ts';

export interface DirectRun {
  /** NaN when the run printed nothing. */
  firstOutputMs: number;
  resultMs: number;
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
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${hostUrl}${HOST_PATHS.run}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    let first = Number.NaN;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'run', runId, request })));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type === 'stdout' && Number.isNaN(first)) first = performance.now() - t0;
      if (frame.type === 'exit') {
        resolve({ firstOutputMs: first, resultMs: performance.now() - t0 });
        ws.terminate();
      }
      if (frame.type === 'error') reject(new Error(String(data)));
    });
    ws.on('error', reject);
  });
}
