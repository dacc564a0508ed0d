import { CLOSE_CODES } from '@airlock/protocol';
import {
  DEFAULT_REPLAY_BYTES,
  ReplayBuffer,
  type ReplayPolicy,
  type SequencedFrame,
} from '../domain/runs/replay-buffer.ts';
import {
  hashTicket,
  isTicketShaped,
  newTicket,
  STREAM_TICKET_TTL_MS,
  ticketUsable,
} from '../domain/runs/stream-ticket.ts';

/**
 * The client side of a Durable Object that streams: sequenced frames kept in a bounded replay buffer
 * and in storage (so a late watcher still gets the transcript after an eviction), watchers on
 * hibernation WebSockets, single-use stream tickets, `?from=SEQ` replay, and a final frame that ends
 * the stream. It knows nothing about where frames come from: a RunSession feeds it one sandbox run,
 * a TaskSession can feed it model tokens and several runs alike. The object owning it forwards its
 * `fetch` and `webSocket*` handlers here.
 *
 * Storage (the owner's SQLite KV): `f:<seq>` frames, `t:<sha256>` tickets, `stream` the end marker.
 * The final frame is not stored (it can exceed a KV value): after an eviction `loadFinal` rebuilds it
 * from wherever the owner made it durable before calling `end`. An owner may start the stream in
 * memory (`durable: false`) and call `persist()` later: what it holds then is written in one step,
 * and every later change as it happens (a short run's stream then costs one commit, not one per frame).
 *
 * The end is one synchronous step (final frame sequenced, end marker stored, sent, watchers closed),
 * so a watcher connecting at any moment is either live before it (and gets the final frame) or sees
 * an ended stream (and gets it by replay). Nothing can slip in between.
 */

export interface ReplayStreamOptions<F extends SequencedFrame> {
  /** Rebuilds the final frame (seq `seq`) after an eviction. */
  loadFinal(seq: number): Promise<F | undefined>;
  policy?: ReplayPolicy<F>;
  maxBytes?: number;
  /** Written to storage from the start (the default), or held in memory until `persist()`. */
  durable?: boolean;
}

interface EndMarker {
  seq: number;
}

const WATCHER_TAG = 'watcher';
const END_KEY = 'stream';
const FROM = /^\d{1,9}$/;
const frameKey = (seq: number) => `f:${String(seq).padStart(8, '0')}`;

export class ReplayStream<F extends SequencedFrame> {
  readonly #ctx: DurableObjectState;
  readonly #buffer: ReplayBuffer<F>;
  readonly #loadFinal: (seq: number) => Promise<F | undefined>;
  #endSeq: number | null;
  #final: F | undefined;
  #durable: boolean;
  /** Tickets issued while not durable: ticket key → expiry. */
  readonly #tickets = new Map<string, number>();

  constructor(ctx: DurableObjectState, options: ReplayStreamOptions<F>) {
    this.#ctx = ctx;
    this.#loadFinal = options.loadFinal;
    const frames: F[] = [];
    for (const [, frame] of ctx.storage.kv.list<F>({ prefix: 'f:' })) frames.push(frame);
    this.#buffer = new ReplayBuffer<F>(options.maxBytes ?? DEFAULT_REPLAY_BYTES, frames, options.policy);
    this.#endSeq = ctx.storage.kv.get<EndMarker>(END_KEY)?.seq ?? null;
    this.#durable = options.durable ?? true;
  }

  /** Writes what the stream holds (frames, tickets, the end) and from now on every change. */
  persist(): void {
    if (this.#durable) return;
    this.#durable = true;
    const kv = this.#ctx.storage.kv;
    for (const frame of this.#buffer.after(undefined)) kv.put(frameKey(frame.seq), frame);
    for (const [key, expiresAt] of this.#tickets) kv.put(key, expiresAt);
    this.#tickets.clear();
    if (this.#endSeq !== null) kv.put<EndMarker>(END_KEY, { seq: this.#endSeq });
  }

  get ended(): boolean {
    return this.#endSeq !== null;
  }

  /** Sequences a frame, keeps it for replay, sends it to every watcher. Nothing follows the end. */
  publish(make: (seq: number) => F): F | undefined {
    if (this.ended) return undefined;
    const frame = this.#buffer.append(make);
    if (this.#durable) this.#ctx.storage.kv.put(frameKey(frame.seq), frame);
    this.#broadcast(JSON.stringify(frame));
    return frame;
  }

  /**
   * Ends the stream with its final frame: sent to every watcher, who are then closed. Call it once
   * what the final frame says is durable where `loadFinal` finds it. Ending twice keeps the first.
   */
  end(make: (seq: number) => F): void {
    if (this.ended) return;
    const seq = this.#buffer.nextSeq;
    const frame = make(seq);
    this.#final = frame;
    this.#endSeq = seq;
    if (this.#durable) this.#ctx.storage.kv.put<EndMarker>(END_KEY, { seq });
    this.#broadcast(JSON.stringify(frame));
    for (const ws of this.#ctx.getWebSockets(WATCHER_TAG)) closeQuietly(ws, CLOSE_CODES.normal, 'done');
  }

  /** A fresh single-use ticket (the caller has checked that the requester may watch). */
  async issueTicket(): Promise<string> {
    const ticket = newTicket((n) => crypto.getRandomValues(new Uint8Array(n)));
    const key = `t:${await hashTicket(ticket)}`;
    const expiresAt = Date.now() + STREAM_TICKET_TTL_MS;
    if (this.#durable) this.#ctx.storage.kv.put(key, expiresAt);
    else this.#tickets.set(key, expiresAt);
    return ticket;
  }

  /** The WebSocket handshake (`?ticket=…&from=SEQ`): the ticket is the credential, used up here. */
  async connect(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const ticket = url.searchParams.get('ticket');
    if (!isTicketShaped(ticket)) return new Response(null, { status: 401 });
    const key = `t:${await hashTicket(ticket)}`;
    const expiresAt = this.#tickets.get(key) ?? this.#ctx.storage.kv.get<number>(key);
    if (!this.#tickets.delete(key)) this.#ctx.storage.kv.delete(key);
    if (!ticketUsable(expiresAt, Date.now())) return new Response(null, { status: 401 });
    const fromParam = url.searchParams.get('from');
    const from = fromParam !== null && FROM.test(fromParam) ? Number(fromParam) : undefined;

    // An ended stream no longer changes, so it may wait for its final frame. A live one must not
    // await between reading the buffer and accepting: a frame published in between would be lost.
    const final = this.ended ? await this.#finalFrame() : undefined;
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.#ctx.acceptWebSocket(server, [WATCHER_TAG]);
    for (const frame of this.#buffer.after(from)) server.send(JSON.stringify(frame));
    if (final && (from === undefined || final.seq > from)) server.send(JSON.stringify(final));
    if (this.ended) server.close(CLOSE_CODES.normal, 'done');
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Watchers only listen (and may ping); anything else they send is ignored. */
  onMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (typeof message !== 'string' || message.length >= 256) return;
    try {
      if ((JSON.parse(message) as { type?: unknown }).type === 'ping') ws.send('{"type":"pong"}');
    } catch {
      // Not JSON: ignored.
    }
  }

  onClose(ws: WebSocket, code: number, reason: string): void {
    closeQuietly(ws, code === 1005 || code === 1006 ? CLOSE_CODES.normal : code, reason);
  }

  async #finalFrame(): Promise<F | undefined> {
    if (this.#final === undefined && this.#endSeq !== null) this.#final = await this.#loadFinal(this.#endSeq);
    return this.#final;
  }

  #broadcast(text: string): void {
    for (const ws of this.#ctx.getWebSockets(WATCHER_TAG)) {
      try {
        ws.send(text);
      } catch {
        // A watcher that went away misses nothing it can't replay.
      }
    }
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed.
  }
}
