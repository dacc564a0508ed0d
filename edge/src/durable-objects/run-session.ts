import { DurableObject } from 'cloudflare:workers';
import { CLOSE_CODES, type RunRequest, type RunResult } from '@airlock/protocol';
import { database } from '../db/client.ts';
import type { RateRule } from '../domain/auth/rate-limit.ts';
import { objectKey } from '../domain/files/name.ts';
import type { SandboxHostRef } from '../domain/runs/config.ts';
import {
  edgeResult,
  fitForStorage,
  type HostEvent,
  type StreamFrame,
  type StreamFrameBody,
} from '../domain/runs/frames.ts';
import { type OutputChunk, OutputCoalescer } from '../domain/runs/output-coalescer.ts';
import { type TransferRule, transferDeadlineMs } from '../domain/runs/transfer.ts';
import { rowToResult } from '../domain/runs/view.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { FIXED } from '../limits.ts';
import { discardQueuedRun, findRun, finishRun, markRunStarted, type RunScope } from '../repositories/runs.ts';
import { outputBudgetOf } from '../services/output-budget.ts';
import { loadSigningKey } from './host-connection.ts';
import { ReplayStream } from './replay-stream.ts';
import { dispatchRun } from './run-dispatch.ts';

/**
 * One object per run (`idFromName(runId)`): the run's life from dispatch to its one final result.
 * The host side is run-dispatch.ts / host-connection.ts (which host, the token, retries, the host's
 * frames); the client side is a ReplayStream (replay buffer, watchers, tickets). This class joins
 * them: host frames go into the stream renumbered, and the result is written to D1 exactly once
 * before the stream's `exit` frame goes out, so the `exit` clients get is the row D1 holds.
 * Output frames that arrive back to back are merged first (output-coalescer.ts: a flood costs a few
 * storage writes, not one per host frame; a run's first output is never held), and anything held
 * goes out before any other frame.
 * Failures are results: no host → `sandbox_unavailable`, a mounted file deleted before dispatch →
 * `file_missing` (no host blamed), the host socket dropping mid-run →
 * `host_lost` at once, and an alarm as a backstop for a silent host or an evicted object. Every host
 * at capacity is not a failure: the run is discarded and the route answers 503 `sandbox_busy`.
 *
 * Storage (SQLite KV): `meta` (who, where, state) and the stream's keys (replay-stream.ts), with the
 * alarm at `meta.deadline`. A run's state is held in memory for its first `runPersistDelayMs` and
 * written then if the run is still going, or once at its end: locally each commit is an fsync on
 * workerd's one thread, and a short run's would otherwise be eight (issue 10).
 */

export interface StartInput {
  runId: string;
  scope: RunScope;
  request: RunRequest;
  hosts: SandboxHostRef[];
  /** How long to wait for a place when every host is at capacity (RUN_BUSY_WAIT_MS). */
  busyWaitMs: number;
  /** How long a host may take to receive the run's mounted files (RUN_FILE_TRANSFER_*). */
  fileTransfer: TransferRule;
  /** The organization's output budget, charged with the run's output when it ends (RATE_LIMIT_OUTPUT_KIB). */
  outputRate: RateRule;
}

export type StartOutcome =
  | { state: 'running'; ticket: string }
  | { state: 'final'; result: RunResult }
  | { state: 'busy' };

/** Worker secrets are not in the generated Env (they never appear in wrangler.toml). */
interface Secrets {
  SANDBOX_SIGNING_JWK?: string;
}

interface Meta {
  runId: string;
  scope: RunScope;
  hostId: string | null;
  startedAtMs: number | null;
  /** Set in the same step as the stream's end, once D1 holds the result. */
  final: boolean;
  cancelRequested: boolean;
  /** Watchdog deadline while running; cleanup time once final. */
  deadline: number;
  /** Absent in a run started before the output budget existed: nothing to charge. */
  outputRate?: RateRule;
}

export class RunSession extends DurableObject<Env> {
  #meta: Meta | undefined;
  #stream: ReplayStream<StreamFrame>;
  #output: OutputCoalescer;
  #upstream: WebSocket | undefined;
  /** Set when the run starts ending: from then on host frames are ignored. */
  #finishing: Promise<RunResult> | undefined;
  #finalResult: RunResult | undefined;
  #finalWaiters: ((r: RunResult) => void)[] = [];
  #stdout = '';
  #stderr = '';
  #log: Logger;
  /** Whether the run's state is in storage (else only in memory, until #persist). */
  #persisted: boolean;
  #persistTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#meta = ctx.storage.kv.get<Meta>('meta');
    this.#persisted = this.#meta !== undefined;
    this.#stream = new ReplayStream<StreamFrame>(ctx, {
      loadFinal: async (seq) => {
        const result = await this.#result();
        return result && this.#meta && { type: 'exit', seq, runId: this.#meta.runId, result };
      },
      durable: this.#persisted,
    });
    this.#output = new OutputCoalescer((chunk: OutputChunk) => this.#publishNow(chunk), {
      windowMs: FIXED.outputCoalesceWindowMs,
      maxChars: FIXED.outputCoalesceMaxChars,
    });
    this.#log = createLogger({ component: 'run-session', runId: this.#meta?.runId });
  }

  // ── RPC from the routes ────────────────────────────────────────────────────────────────────

  /**
   * Dispatches the run. Resolves with the final result if no host took it, or (with `waitMs`) if it
   * ended within that time; with `busy` if every host stayed at capacity; otherwise, once a host
   * accepted it, with a first stream ticket. One call on the request path instead of three: each
   * Durable Object round trip is latency the edge adds.
   */
  async start(input: StartInput, options: { waitMs?: number } = {}): Promise<StartOutcome> {
    const began = Date.now();
    if (this.#meta) throw new Error('run already started');
    // The watchdog also allows for the time a run's files may take to reach the host.
    const mounted = (input.request.mounts ?? []).reduce((n, m) => n + m.size, 0);
    const watchdogMs =
      FIXED.runWatchdogMs + (mounted > 0 ? transferDeadlineMs(mounted, input.fileTransfer) : 0);
    this.#log = createLogger({ component: 'run-session', runId: input.runId });
    this.#setMeta({
      runId: input.runId,
      scope: input.scope,
      hostId: null,
      startedAtMs: null,
      final: false,
      cancelRequested: false,
      deadline: began + watchdogMs,
      outputRate: input.outputRate,
    });
    // The watchdog (alarm) is armed when the state is written: a run that ends sooner needs none.
    this.#persistTimer = setTimeout(() => {
      this.#persist().catch((err: unknown) => this.#log.error('could not store the run state', { err }));
    }, FIXED.runPersistDelayMs);

    const key = await loadSigningKey((this.env as unknown as Secrets).SANDBOX_SIGNING_JWK);
    if (!key) {
      // A configuration fault, not a host's: no host is reported failed for it.
      this.#log.error('SANDBOX_SIGNING_JWK is missing or not an Ed25519 private JWK: cannot sign run tokens');
      return { state: 'final', result: await this.#finish(this.#lostResult('sandbox_unavailable')) };
    }
    const dispatched = await dispatchRun(
      {
        ...input,
        orgId: input.scope.orgId,
        key,
        // Mounted files are read from the run's own organization's prefix, whatever the request says.
        openMount: async (m) => (await this.env.FILES.get(objectKey(input.scope.orgId, m.id)))?.body ?? null,
      },
      {
        registry: this.#registry(),
        upstreamFor: (hostId) => ({
          onEvent: (event) => this.ctx.waitUntil(this.#onHostEvent(event, hostId)),
          onClose: () => this.#onUpstreamClosed(hostId),
        }),
        log: this.#log,
        background: (promise) => this.ctx.waitUntil(promise),
      },
    );
    if (dispatched.outcome === 'unavailable' || dispatched.outcome === 'file_missing') {
      const status = dispatched.outcome === 'unavailable' ? 'sandbox_unavailable' : 'file_missing';
      return { state: 'final', result: await this.#finish(this.#lostResult(status)) };
    }
    if (dispatched.outcome === 'busy') {
      await this.#discard();
      return { state: 'busy' };
    }
    this.#upstream = dispatched.socket;
    this.#acceptedBy(dispatched.hostId);

    if (options.waitMs !== undefined) {
      const result = await this.waitForResult(Math.max(0, options.waitMs - (Date.now() - began)));
      if (result) return { state: 'final', result };
    }
    return { state: 'running', ticket: await this.issueTicket() };
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
  issueTicket(): Promise<string> {
    return this.#stream.issueTicket();
  }

  /** Asks the host to stop the run; the result (`cancelled`) arrives the usual way. */
  cancel(): { final: boolean } {
    const meta = this.#meta;
    if (!meta || meta.final) return { final: true };
    this.#setMeta({ ...meta, cancelRequested: true });
    this.#sendCancel();
    return { final: false };
  }

  // ── Client sockets: the stream's ───────────────────────────────────────────────────────────

  override async fetch(request: Request): Promise<Response> {
    if (!this.#meta) return new Response(null, { status: 401 });
    return this.#stream.connect(request);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    // Watchers only listen; cancelling is POST /v1/runs/{id}/cancel (authenticated, audited).
    this.#stream.onMessage(ws, message);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#stream.onClose(ws, code, reason);
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

  #ending(): boolean {
    return this.#finishing !== undefined || this.#meta?.final !== false;
  }

  async #onHostEvent(event: HostEvent, hostId: string): Promise<void> {
    const meta = this.#meta;
    if (!meta || this.#ending()) return;
    if (event.kind === 'exit') {
      // Watchers get the held output now, not after the result's D1 write.
      this.#output.flush();
      await this.#finish(event.result);
    } else if (event.kind === 'error') {
      // A host error after acceptance ends the run; what was streamed is kept.
      this.#log.warn('sandbox host ended the run with an error', { code: event.code });
      this.#publish({ type: 'error', code: 'sandbox_error', message: 'The sandbox host failed the run.' });
      await this.#finish(this.#lostResult('host_lost'));
    } else if (event.kind === 'frame') {
      const frame = event.frame;
      // Published (or held, in order) before any await, so frames go out in the order the host sent them.
      if (frame.type === 'stdout' || frame.type === 'stderr') {
        if (frame.type === 'stdout') this.#stdout += frame.data;
        else this.#stderr += frame.data;
        this.#output.push(frame);
        return;
      }
      this.#publish(frame);
      if (frame.type === 'started') {
        const startedAtMs = Date.parse(frame.startedAt) || Date.now();
        this.#setMeta({ ...meta, startedAtMs });
        // Only a run still going after the delay needs the mark (FIXED.runStartedMarkDelayMs).
        await new Promise((r) => setTimeout(r, FIXED.runStartedMarkDelayMs));
        if (this.#ending()) return;
        // Guarded on `queued`: a late write can never overwrite the final result.
        await markRunStarted(database(this.env.DB), meta.scope, meta.runId, hostId, startedAtMs).catch(
          (err: unknown) => this.#log.error('could not mark the run started', { err }),
        );
      }
    }
  }

  #onUpstreamClosed(hostId: string): void {
    if (this.#ending()) return;
    this.#log.warn('sandbox host connection lost mid-run', { hostId });
    this.ctx.waitUntil(this.#finish(this.#lostResult('host_lost')));
  }

  #acceptedBy(hostId: string): void {
    const meta = this.#meta as Meta;
    this.#setMeta({ ...meta, hostId });
    if (meta.cancelRequested) this.#sendCancel();
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

  #lostResult(status: 'sandbox_unavailable' | 'host_lost' | 'file_missing'): RunResult {
    return edgeResult(status, {
      startedAt: this.#meta?.startedAtMs ?? null,
      now: Date.now(),
      stdout: this.#stdout,
      stderr: this.#stderr,
    });
  }

  /** Ends the run exactly once; every later caller gets the same result. */
  #finish(candidate: RunResult): Promise<RunResult> {
    this.#finishing ??= this.#settle(candidate);
    return this.#finishing;
  }

  /**
   * D1 first (guarded on the status; if another writer won, its result is the one), then the stream
   * ends with that result. Until the stream has ended a watcher that connects is live and gets the
   * `exit` frame; the end and `final` are stored in one synchronous step.
   */
  async #settle(candidate: RunResult): Promise<RunResult> {
    const meta = this.#meta;
    if (!meta) return candidate;
    if (meta.final) return (await this.#result()) ?? candidate;
    let result = fitForStorage(candidate);
    const db = database(this.env.DB);
    // The output is charged while D1 is written (no latency added); before the result goes out, so the
    // organization's next run sees it.
    const charged = this.#chargeOutput(meta, candidate);
    try {
      const written = await retry(() => finishRun(db, meta.scope, meta.runId, result, meta.hostId));
      if (!written) {
        const row = await findRun(db, meta.scope, meta.runId);
        if (row) result = rowToResult(row) ?? result;
      }
    } catch (err) {
      this.#log.error('could not record the run result', { err });
    }
    await charged;
    this.#finalResult = result;
    // Held output precedes the end (the result carries it too).
    this.#output.flush();
    this.#stream.end((seq) => ({ type: 'exit', seq, runId: meta.runId, result }));
    this.#setMeta({
      ...(this.#meta as Meta),
      final: true,
      deadline: Date.now() + FIXED.runTranscriptRetainMs,
    });
    for (const waiter of this.#finalWaiters.splice(0)) waiter(result);
    try {
      this.#upstream?.close(CLOSE_CODES.normal, 'done');
    } catch {
      // Already closed.
    }
    this.#upstream = undefined;
    // The end, in storage: for a short run its whole state in one commit, with the cleanup alarm.
    const persisting = this.#persisted
      ? this.ctx.storage.setAlarm((this.#meta as Meta).deadline)
      : this.#persist();
    await this.#registry()
      .release(meta.runId)
      .catch((err: unknown) => this.#log.warn('could not release the host lease', { err }));
    await persisting;
    return result;
  }

  /** The characters the run wrote, to its organization's output budget (services/output-budget.ts). */
  async #chargeOutput(meta: Meta, result: RunResult): Promise<void> {
    const chars = result.stdout.length + result.stderr.length;
    if (!meta.outputRate || chars === 0) return;
    try {
      await outputBudgetOf(this.env, meta.scope.orgId).chargeOutput(meta.outputRate, chars, Date.now());
    } catch (err) {
      this.#log.error('could not charge the output budget', { err });
    }
  }

  /** Every host stayed at capacity: no run happened, so none is recorded (the client retries). */
  async #discard(): Promise<void> {
    const meta = this.#meta as Meta;
    await discardQueuedRun(database(this.env.DB), meta.scope, meta.runId).catch((err: unknown) =>
      this.#log.error('could not discard the refused run', { err }),
    );
    this.#meta = undefined;
    clearTimeout(this.#persistTimer);
    if (!this.#persisted) return;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** Writes the run's state (meta, stream) in one step and arms the alarm at its deadline. */
  async #persist(): Promise<void> {
    const meta = this.#meta;
    if (this.#persisted || !meta) return;
    clearTimeout(this.#persistTimer);
    this.#persisted = true;
    this.ctx.storage.kv.put('meta', meta);
    this.#stream.persist();
    await this.ctx.storage.setAlarm(meta.deadline);
  }

  async #result(): Promise<RunResult | undefined> {
    if (this.#finalResult) return this.#finalResult;
    const meta = this.#meta;
    if (!meta?.final) return undefined;
    const row = await findRun(database(this.env.DB), meta.scope, meta.runId);
    this.#finalResult = row ? rowToResult(row) : undefined;
    return this.#finalResult;
  }

  /** A non-output frame: any held output goes out before it. */
  #publish(body: StreamFrameBody): void {
    this.#output.flush();
    this.#publishNow(body);
  }

  #publishNow(body: StreamFrameBody): void {
    const runId = this.#meta?.runId ?? '';
    this.#stream.publish((seq) => ({ ...body, seq, runId }) as StreamFrame);
  }

  #setMeta(meta: Meta): void {
    this.#meta = meta;
    if (this.#persisted) this.ctx.storage.kv.put('meta', meta);
  }
}

async function retry<T>(fn: () => Promise<T>, attempts = FIXED.sessionRetryAttempts): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, FIXED.sessionRetryStepMs * i));
    }
  }
}
