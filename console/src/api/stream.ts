/**
 * A run's or a task's live frames over the WebSocket (docs/runs.md). Frames carry `seq` from 0; after
 * a dropped connection the stream asks for a fresh single-use ticket (POST …/stream-ticket) and
 * resumes with `&from=<last seq seen>`, so no frame is lost or shown twice. A run ends with its
 * `exit` frame, a task with its `end` frame.
 */
import type { Frame } from '@airlock/client';
import { api } from './client.ts';

export interface StreamHandlers<F> {
  onFrame(frame: F): void;
  onState(state: 'connecting' | 'open' | 'reconnecting' | 'ended' | 'failed', detail?: string): void;
}

/** Reconnection attempts after a drop before the page gives up and says so. */
const MAX_RECONNECTS = 5;
const RECONNECT_DELAY_MS = 500;

export function followRun(
  runId: string,
  firstUrl: string,
  handlers: StreamHandlers<Frame>,
): { stop(): void } {
  return followStream(`/v1/runs/${encodeURIComponent(runId)}/stream-ticket`, firstUrl, handlers, 'exit');
}

export function followStream<F extends { type: string; seq: number }>(
  ticketPath: string,
  firstUrl: string,
  handlers: StreamHandlers<F>,
  lastType: string,
): { stop(): void } {
  let lastSeq = -1;
  let ended = false;
  let stopped = false;
  let attempts = 0;
  let socket: WebSocket | null = null;

  const open = (url: string) => {
    handlers.onState(attempts === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempts = 0;
      handlers.onState('open');
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      let frame: F;
      try {
        frame = JSON.parse(event.data) as F;
      } catch {
        return;
      }
      if (typeof frame.seq !== 'number' || frame.seq <= lastSeq) return;
      lastSeq = frame.seq;
      handlers.onFrame(frame);
      if (frame.type === lastType) {
        ended = true;
        handlers.onState('ended');
        ws.close(1000);
      }
    };
    ws.onclose = () => {
      if (socket !== ws || ended || stopped) return;
      void resume();
    };
  };

  const resume = async () => {
    attempts += 1;
    if (attempts > MAX_RECONNECTS) {
      handlers.onState('failed', 'The connection dropped and could not be re-established.');
      return;
    }
    handlers.onState('reconnecting');
    await new Promise((r) => setTimeout(r, RECONNECT_DELAY_MS * attempts));
    if (stopped) return;
    try {
      const ticket = await api<{ streamUrl: string }>('POST', ticketPath);
      const url = new URL(ticket.streamUrl);
      if (lastSeq >= 0) url.searchParams.set('from', String(lastSeq));
      open(url.toString());
    } catch (err) {
      handlers.onState('failed', err instanceof Error ? err.message : String(err));
    }
  };

  open(firstUrl);
  return {
    stop() {
      stopped = true;
      socket?.close(1000);
    },
  };
}
