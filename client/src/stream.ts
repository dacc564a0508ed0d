import { StreamError } from './errors.ts';

/**
 * A stream's frames (a run's, a task's) as an async iterator, over as many WebSockets as it takes:
 * when a socket closes before the last frame (`isLast`), a fresh single-use ticket is fetched and the
 * stream reopened with `?from=<last seq>`, so the server replays only what was missed. Frames arrive
 * in seq order, each once. Breaking out of the loop closes the socket.
 */

/** What every frame carries: its type and its place in the stream. */
export interface Sequenced {
  type: string;
  seq: number;
}

export type WebSocketFactory = new (url: string) => WebSocket;

export interface FrameStreamOptions<F extends Sequenced> {
  /** The WebSocket implementation: the global one by default (Node 22+, browsers, Workers). */
  WebSocket: WebSocketFactory;
  /** A new stream URL (with a fresh ticket), to reconnect. */
  freshUrl: () => Promise<string>;
  /** Reconnects in a row without a new frame before giving up. */
  maxReconnects: number;
  /** The frame after which the server closes the stream (a run's `exit` or `error`, a task's `end`). */
  isLast: (frame: F) => boolean;
  /** What the stream is of, for error messages ("run", "task"). */
  what: string;
}

type Item<F> = { frame: F } | { closed: string };

/** Opens `url` and hands its frames and its end to a queue the iterator drains. */
function open<F>(url: string, WebSocketImpl: WebSocketFactory) {
  const items: Item<F>[] = [];
  let wake: (() => void) | undefined;
  const push = (item: Item<F>) => {
    items.push(item);
    wake?.();
  };
  const socket = new WebSocketImpl(url);
  socket.addEventListener('message', (event) => {
    try {
      push({ frame: JSON.parse(String(event.data)) as F });
    } catch {
      push({ closed: 'a frame that is not JSON' });
    }
  });
  socket.addEventListener('close', (event) => push({ closed: `closed with code ${event.code}` }));
  socket.addEventListener('error', () => push({ closed: 'socket error' }));
  return {
    socket,
    async next(): Promise<Item<F>> {
      while (items.length === 0) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      return items.shift() as Item<F>;
    },
  };
}

const withFrom = (url: string, seq: number) => `${url}${url.includes('?') ? '&' : '?'}from=${seq}`;

export async function* frameStream<F extends Sequenced>(
  firstUrl: string,
  options: FrameStreamOptions<F>,
): AsyncGenerator<F, void> {
  let url = firstUrl;
  let lastSeq = -1;
  let attempts = 0;
  for (;;) {
    const conn = open<F>(url, options.WebSocket);
    try {
      for (;;) {
        const item = await conn.next();
        if ('closed' in item) {
          if (attempts >= options.maxReconnects) {
            throw new StreamError(
              `the ${options.what} stream ${item.closed} before the ${options.what} ended (${attempts} reconnects)`,
            );
          }
          break;
        }
        const { frame } = item;
        if (frame.seq <= lastSeq) continue;
        lastSeq = frame.seq;
        attempts = 0;
        yield frame;
        if (options.isLast(frame)) return;
      }
    } finally {
      if (conn.socket.readyState <= 1) conn.socket.close(1000, 'done');
    }
    attempts += 1;
    const fresh = await options.freshUrl();
    url = lastSeq >= 0 ? withFrom(fresh, lastSeq) : fresh;
  }
}
