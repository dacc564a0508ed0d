import { DurableObject } from 'cloudflare:workers';
import { CLOSE_CODES, HostMessageSchema, type RunRequest, type RunResult } from '@airlock/protocol';
import type { CryptoKey } from 'jose';
import { database } from '../db/client.ts';
import { hostRunUrl, type SandboxHostRef } from '../domain/runs/config.ts';
import {
  edgeResult,
  fitForStorage,
  type HostEvent,
  interpretHostMessage,
  isRetryableHostError,
  type StreamFrame,
  type StreamFrameBody,
} from '../domain/runs/frames.ts';
import { ReplayBuffer } from '../domain/runs/replay-buffer.ts';
import {
  hashTicket,
  isTicketShaped,
  newTicket,
  STREAM_TICKET_TTL_MS,
  ticketUsable,
} from '../domain/runs/stream-ticket.ts';
import { importSigningKey, mintRunToken } from '../domain/runs/token.ts';
import { rowToResult } from '../domain/runs/view.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { findRun, finishRun, markRunStarted, type RunScope } from '../repositories/runs.ts';

/**
 * One object per run (`idFromName(runId)`). It holds the upstream WebSocket to the sandbox host, relays
 * the host's frames (renumbered with its own `seq`) into a bounded replay buffer and out to every
 * client socket (hibernation API), and writes the final result to D1 exactly once: the `exit` frame
 * clients get is the row D1 holds. Failures are results: no host → `sandbox_unavailable`, the host
 * socket dropping mid-run → `host_lost` at once, and an alarm as a backstop for a silent host or an
 * evicted object.
 *
 * Storage (SQLite KV): `meta` (who, where, state), `f:<seq>` output frames (so a late watcher still
 * gets the transcript after eviction), `t:<sha256>` stream tickets. The final `exit` frame is not
 * stored here (it can exceed a KV value): after eviction it is rebuilt from the D1 row.
 */

export interface StartInput {
  runId: string;
  scope: RunScope;
  request: RunRequest;
  hosts: SandboxHostRef[];
}

export type StartOutcome =
  | { state: 'running'; ticket: string }
  | { state: 'final'; result: RunResult; busy: boolean };

/** Worker secrets are not in the generated Env (they never appear in wrangler.toml). */
interface Secrets {
  SANDBOX_SIGNING_JWK?: string;
}

interface Meta {
  runId: string;
  scope: RunScope;
  hostId: string | null;
  startedAtMs: number | null;
  final: boolean;
  exitSeq: number | null;
  cancelRequested: boolean;
  /** Watchdog deadline while running; cleanup time once final. */
  deadline: number;
}

/** How long a host may take to answer the handshake and accept the run. */
const CONNECT_TIMEOUT_MS = 5000;
/** Backstop: a run not final this long after acceptance is ended `host_lost` (max run 15 s + compile). */
const WATCHDOG_MS = 90_000;
/** How long the transcript stays available after the end. */
const RETAIN_MS = 60 * 60_000;

export class RunSession extends DurableObject<Env> {
  #meta: Meta | undefined;
  #buffer: ReplayBuffer;
  #upstream: WebSocket | undefined;
  #finalResult: RunResult | undefined;
  #finalWaiters: ((r: RunResult) => void)[] = [];
  #stdout = '';
  #stderr = '';
  #log: Logger;
  #key: Promise<CryptoKey> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#meta = ctx.storage.kv.get<Meta>('meta');
    const frames: StreamFrame[] = [];
    for (const [, frame] of ctx.storage.kv.list<StreamFrame>({ prefix: 'f:' })) frames.push(frame);
    this.#buffer = new ReplayBuffer(undefined, frames);
    this.#log = createLogger({ component: 'run-session', runId: this.#meta?.runId });
  }

  // ── RPC from the routes ────────────────────────────────────────────────────────────────────

  /**
   * Dispatches the run. Resolves with the final result if no host took it, or (with `waitMs`) if it
   * ended within that time; otherwise, once a host accepted it, with a first stream ticket. One call
   * on the request path instead of three: each Durable Object round trip is latency the edge adds.
   */
  async start(input: StartInput, options: { waitMs?: number } = {}): Promise<StartOutcome> {
    const dispatched = await this.#begin(input);
    if (dispatched.state === 'final') return dispatched;
    if (options.waitMs !== undefined) {
      const result = await this.waitForResult(options.waitMs);
      if (result) return { state: 'final', result, busy: false };
    }
    return { state: 'running', ticket: await this.issueTicket() };
  }

  async #begin(
    input: StartInput,
  ): Promise<{ state: 'accepted' } | Extract<StartOutcome, { state: 'final' }>> {
    if (this.#meta) throw new Error('run already started');
    this.#log = createLogger({ component: 'run-session', runId: input.runId });
    this.#setMeta({
      runId: input.runId,
      scope: input.scope,
      hostId: null,
      startedAtMs: null,
      final: false,
      exitSeq: null,
      cancelRequested: false,
      deadline: Date.now() + WATCHDOG_MS,
    });
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
    return this.#dispatch(input);
  }

  /** The final result, or null if the run is still going after `maxMs`. */
  async waitForResult(maxMs: number): Promise<RunResult | null> {
    const done = await this.#result();
    if (done) return done;
    return new Promise<RunResult | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), maxMs);
      this.#finalWaiters.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  /** A fresh single-use stream ticket (the route has checked that the caller owns the run). */
  async issueTicket(): Promise<string> {
    const ticket = newTicket((n) => crypto.getRandomValues(new Uint8Array(n)));
    const expiresAt = Date.now() + STREAM_TICKET_TTL_MS;
    this.ctx.storage.kv.put(`t:${await hashTicket(ticket)}`, expiresAt);
    return ticket;
  }

  /** Asks the host to stop the run; the result (`cancelled`) arrives the usual way. */
  cancel(): { final: boolean } {
    const meta = this.#meta;
    if (!meta || meta.final) return { final: true };
    this.#setMeta({ ...meta, cancelRequested: true });
    this.#sendCancel();
    return { final: false };
  }

  // ── Client sockets ─────────────────────────────────────────────────────────────────────────

  /** The stream handshake, forwarded by the route: the ticket is the credential. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const ticket = url.searchParams.get('ticket');
    if (!isTicketShaped(ticket)) return new Response(null, { status: 401 });
    const key = `t:${await hashTicket(ticket)}`;
    const expiresAt = this.ctx.storage.kv.get<number>(key);
    this.ctx.storage.kv.delete(key);
    if (!ticketUsable(expiresAt, Date.now()) || !this.#meta) return new Response(null, { status: 401 });
    const fromParam = url.searchParams.get('from');
    const from = fromParam === null ? undefined : Number(fromParam);

    const exit = this.#meta.final ? await this.#exitFrame() : undefined;
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    // No await between reading the buffer and accepting: no live frame can slip in between.
    for (const frame of this.#buffer.after(from)) {
      if (frame.type !== 'exit') server.send(JSON.stringify(frame));
    }
    if (exit && (from === undefined || exit.seq > from)) server.send(JSON.stringify(exit));
    if (this.#meta.final) server.close(CLOSE_CODES.normal, 'done');
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    // Watchers only listen; cancelling is POST /v1/runs/{id}/cancel (authenticated, audited).
    if (typeof message === 'string' && message.length < 256) {
      try {
        if ((JSON.parse(message) as { type?: unknown }).type === 'ping') ws.send('{"type":"pong"}');
      } catch {
        // Ignore anything else.
      }
    }
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }

  override webSocketError(): void {
    // The socket is gone; nothing to clean up (the runtime drops it from getWebSockets()).
  }

  // ── Watchdog and cleanup ───────────────────────────────────────────────────────────────────

  override async alarm(): Promise<void> {
    const meta = this.#meta;
    if (!meta) return;
    if (meta.final) {
      if (Date.now() >= meta.deadline) await this.ctx.storage.deleteAll();
      else await this.ctx.storage.setAlarm(meta.deadline);
      return;
    }
    // Still not final: the host went silent or this object was evicted with the socket.
    this.#log.warn('run watchdog fired: ending the run as host_lost');
    await this.#finish(this.#lostResult('host_lost'));
  }

  // ── Upstream ───────────────────────────────────────────────────────────────────────────────

  #registry() {
    return this.env.HOST_REGISTRY.get(this.env.HOST_REGISTRY.idFromName('global'));
  }

  async #dispatch(
    input: StartInput,
  ): Promise<{ state: 'accepted' } | Extract<StartOutcome, { state: 'final' }>> {
    const tried: string[] = [];
    let busy = false;
    for (;;) {
      const acquired = await this.#registry().acquire(input.hosts, input.runId, Date.now(), tried);
      if (!acquired.ok) {
        this.#log.warn('no sandbox host available', { reason: acquired.reason, tried: tried.length, busy });
        const result = await this.#finish(this.#lostResult('sandbox_unavailable'));
        return { state: 'final', result, busy };
      }
      const host = acquired.host;
      tried.push(host.id);
      const attempt = await this.#tryHost(input, host);
      if (attempt === 'accepted') {
        // Off the request path: clearing a back-off is bookkeeping, not something the run waits for.
        this.ctx.waitUntil(this.#registry().report(host.id, true, Date.now()));
        return { state: 'accepted' };
      }
      if (attempt === 'final') {
        const result = (await this.#result()) as RunResult;
        return { state: 'final', result, busy };
      }
      busy ||= attempt === 'busy';
      await this.#registry().release(input.runId);
      await this.#registry().report(host.id, false, Date.now());
    }
  }

  /** One host: connect, send the run, wait for `accepted`. */
  async #tryHost(input: StartInput, host: SandboxHostRef): Promise<'accepted' | 'busy' | 'failed' | 'final'> {
    let ws: WebSocket;
    try {
      this.#key ??= importSigningKey((this.env as unknown as Secrets).SANDBOX_SIGNING_JWK);
      const token = await mintRunToken({
        key: await this.#key,
        hostId: host.id,
        runId: input.runId,
        orgId: input.scope.orgId,
        request: input.request,
        now: Date.now(),
        jti: crypto.randomUUID(),
      });
      const res = await withTimeout(
        fetch(hostRunUrl(host), { headers: { Upgrade: 'websocket', Authorization: `Bearer ${token}` } }),
        CONNECT_TIMEOUT_MS,
      );
      if (!res.webSocket) {
        this.#log.warn('sandbox host refused the connection', { hostId: host.id, status: res.status });
        return 'failed';
      }
      ws = res.webSocket;
      ws.accept();
    } catch (err) {
      this.#log.warn('sandbox host unreachable', { hostId: host.id, err });
      return 'failed';
    }

    return new Promise((resolve) => {
      let accepted = false;
      let settled = false;
      const settle = (v: 'accepted' | 'busy' | 'failed' | 'final') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.#log.warn('sandbox host did not accept the run in time', { hostId: host.id });
        ws.close(CLOSE_CODES.normal, 'timeout');
        settle('failed');
      }, CONNECT_TIMEOUT_MS);

      ws.addEventListener('message', (event) => {
        const parsed = parseHostFrame(event.data);
        if (!parsed) {
          this.#log.warn('malformed frame from sandbox host', { hostId: host.id });
          return;
        }
        if (!accepted) {
          if (parsed.kind === 'accepted') {
            accepted = true;
            this.#upstream = ws;
            const meta = this.#meta as Meta;
            this.#setMeta({ ...meta, hostId: host.id });
            if (meta.cancelRequested) this.#sendCancel();
            settle('accepted');
            return;
          }
          if (parsed.kind === 'error') {
            this.#log.warn('sandbox host refused the run', { hostId: host.id, code: parsed.code });
            settle(isRetryableHostError(parsed.code) ? 'busy' : 'failed');
            return;
          }
        }
        this.ctx.waitUntil(this.#onHostEvent(parsed, host.id));
      });
      ws.addEventListener('close', () => {
        if (!accepted) return settle('failed');
        if (this.#meta?.final) return;
        this.#log.warn('sandbox host connection lost mid-run', { hostId: host.id });
        this.ctx.waitUntil(this.#finish(this.#lostResult('host_lost')));
      });
      ws.addEventListener('error', () => {
        if (!accepted) settle('failed');
      });
      ws.send(JSON.stringify({ type: 'run', runId: input.runId, request: input.request }));
    });
  }

  async #onHostEvent(event: HostEvent, hostId: string): Promise<void> {
    const meta = this.#meta;
    if (!meta || meta.final) return;
    switch (event.kind) {
      case 'accepted':
        return;
      case 'frame': {
        const frame = event.frame;
        // Published before any await, so frames go out in the order the host sent them.
        if (frame.type === 'stdout') this.#stdout += frame.data;
        if (frame.type === 'stderr') this.#stderr += frame.data;
        this.#publish(frame, true);
        if (frame.type === 'started') {
          const startedAtMs = Date.parse(frame.startedAt) || Date.now();
          this.#setMeta({ ...meta, startedAtMs });
          // Guarded on `queued`: a late write can never overwrite the final result.
          await markRunStarted(database(this.env.DB), meta.scope, meta.runId, hostId, startedAtMs).catch(
            (err: unknown) => this.#log.error('could not mark the run started', { err }),
          );
        }
        return;
      }
      case 'exit':
        await this.#finish(event.result);
        return;
      case 'error':
        // A host error after acceptance ends the run; what was streamed is kept.
        this.#log.warn('sandbox host ended the run with an error', { code: event.code });
        this.#publish(
          { type: 'error', code: 'sandbox_error', message: 'The sandbox host failed the run.' },
          true,
        );
        await this.#finish(this.#lostResult('host_lost'));
        return;
    }
  }

  #sendCancel(): void {
    const ws = this.#upstream;
    if (!ws || !this.#meta) return;
    try {
      ws.send(JSON.stringify({ type: 'cancel', runId: this.#meta.runId }));
    } catch (err) {
      this.#log.warn('could not send cancel upstream', { err });
    }
  }

  // ── Results ────────────────────────────────────────────────────────────────────────────────

  #lostResult(status: 'sandbox_unavailable' | 'host_lost'): RunResult {
    return edgeResult(status, {
      startedAt: this.#meta?.startedAtMs ?? null,
      now: Date.now(),
      stdout: this.#stdout,
      stderr: this.#stderr,
    });
  }

  /**
   * Ends the run exactly once: D1 first (guarded on the status), then the `exit` frame to every
   * watcher. If D1 already held a final result (another writer won), that result is what goes out.
   */
  async #finish(candidate: RunResult): Promise<RunResult> {
    const meta = this.#meta;
    if (!meta) return candidate;
    if (meta.final) return (await this.#result()) ?? candidate;
    this.#setMeta({ ...meta, final: true, deadline: Date.now() + RETAIN_MS });
    let result = fitForStorage(candidate);
    const db = database(this.env.DB);
    try {
      const written = await retry(() => finishRun(db, meta.scope, meta.runId, result, meta.hostId));
      if (!written) {
        const row = await findRun(db, meta.scope, meta.runId);
        if (row) result = rowToResult(row) ?? result;
      }
    } catch (err) {
      this.#log.error('could not record the run result', { err });
    }
    this.#finalResult = result;
    const exit = this.#publish({ type: 'exit', result }, false);
    this.#setMeta({ ...(this.#meta as Meta), exitSeq: exit.seq });
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(CLOSE_CODES.normal, 'done');
      } catch {
        // Already closed.
      }
    }
    for (const waiter of this.#finalWaiters.splice(0)) waiter(result);
    try {
      this.#upstream?.close(CLOSE_CODES.normal, 'done');
    } catch {
      // Already closed.
    }
    this.#upstream = undefined;
    await this.#registry()
      .release(meta.runId)
      .catch((err: unknown) => this.#log.warn('could not release the host lease', { err }));
    await this.ctx.storage.setAlarm(Date.now() + RETAIN_MS);
    return result;
  }

  async #result(): Promise<RunResult | undefined> {
    if (this.#finalResult) return this.#finalResult;
    const meta = this.#meta;
    if (!meta?.final) return undefined;
    const row = await findRun(database(this.env.DB), meta.scope, meta.runId);
    this.#finalResult = row ? rowToResult(row) : undefined;
    return this.#finalResult;
  }

  async #exitFrame(): Promise<StreamFrame | undefined> {
    const meta = this.#meta;
    const result = await this.#result();
    if (!meta || !result) return undefined;
    return { type: 'exit', seq: meta.exitSeq ?? this.#buffer.nextSeq, runId: meta.runId, result };
  }

  /** Sequences a frame, keeps it for replay, sends it to every watcher. */
  #publish(body: StreamFrameBody, persist: boolean): StreamFrame {
    const runId = this.#meta?.runId ?? '';
    const frame = this.#buffer.append((seq) => ({ ...body, seq, runId }) as StreamFrame);
    if (persist) this.ctx.storage.kv.put(`f:${String(frame.seq).padStart(8, '0')}`, frame);
    const text = JSON.stringify(frame);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // A watcher that went away misses nothing it can't replay.
      }
    }
    return frame;
  }

  #setMeta(meta: Meta): void {
    this.#meta = meta;
    this.ctx.storage.kv.put('meta', meta);
  }
}

function parseHostFrame(data: unknown): HostEvent | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const parsed = HostMessageSchema.safeParse(JSON.parse(data));
    return parsed.success ? interpretHostMessage(parsed.data) : undefined;
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

async function retry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 50 * i));
    }
  }
}
