import { StreamError } from './errors.ts';
import type { Frame } from './types.ts';

/**
 * A run's frames as an async iterator, over as many WebSockets as it takes: when a socket closes
 * before the `exit` (or `error`) frame, a fresh single-use ticket is fetched and the stream reopened
 * with `?from=<last seq>`, so the server replays only what was missed. Frames arrive in seq order,
 * each once. Breaking out of the loop closes the socket.
 */

export type WebSocketFactory = new (url: string) => WebSocket;

export interface FrameStreamOptions {
  /** The WebSocket implementation: the global one by default (Node 22+, browsers, Workers). */
  WebSocket: WebSocketFactory;
  /** A new stream URL (with a fresh ticket) for the run, to reconnect. */
  freshUrl: () => Promise<string>;
  /** Reconnects in a row without a new frame before giving up. */
  maxReconnects: number;
}

type Item = { frame: Frame } | { closed: string };

/** Opens `url` and hands its frames and its end to a queue the iterator drains. */
function open(url: string, WebSocketImpl: WebSocketFactory) {
  const items: Item[] = [];
  let wake: (() => void) | undefined;
  const push = (item: Item) => {
    items.push(item);
    wake?.();
  };
  const socket = new WebSocketImpl(url);
  socket.addEventListener('message', (event) => {
    try {
      push({ frame: JSON.parse(String(event.data)) as Frame });
    } catch {
      push({ closed: 'a frame that is not JSON' });
    }
  });
  socket.addEventListener('close', (event) => push({ closed: `closed with code ${event.code}` }));
  socket.addEventListener('error', () => push({ closed: 'socket error' }));
  return {
    socket,
    async next(): Promise<Item> {
      while (items.length === 0) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      return items.shift() as Item;
    },
  };
}

const withFrom = (url: string, seq: number) => `${url}${url.includes('?') ? '&' : '?'}from=${seq}`;

export async function* frameStream(
  firstUrl: string,
  options: FrameStreamOptions,
): AsyncGenerator<Frame, void> {
  let url = firstUrl;
  let lastSeq = -1;
  let attempts = 0;
  for (;;) {
    const conn = open(url, options.WebSocket);
    try {
      for (;;) {
        const item = await conn.next();
        if ('closed' in item) {
          if (attempts >= options.maxReconnects) {
            throw new StreamError(
              `the run stream ${item.closed} before the run ended (${attempts} reconnects)`,
            );
          }
          break;
        }
        const { frame } = item;
        if (frame.seq <= lastSeq) continue;
        lastSeq = frame.seq;
        attempts = 0;
        yield frame;
        if (frame.type === 'exit' || frame.type === 'error') return;
      }
    } finally {
      if (conn.socket.readyState <= 1) conn.socket.close(1000, 'done');
    }
    attempts += 1;
    const fresh = await options.freshUrl();
    url = lastSeq >= 0 ? withFrom(fresh, lastSeq) : fresh;
  }
}
