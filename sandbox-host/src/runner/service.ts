/**
 * The run service: admission (the fair scheduler: memory and process budgets, per-organization share,
 * bounded per-organization queues), limit resolution, taking a sandbox from the pool, executing, and
 * bookkeeping of every container it owns (for the orphan sweep and shutdown).
 */

import type { ErrorCode, RunRequest, RunResult } from '@airlock/protocol';
import { emptyRunResult } from '@airlock/protocol';
import type { Logger } from 'pino';
import type { CgroupReader } from '../docker/cgroup.ts';
import type { Sandbox } from '../docker/sandbox.ts';
import type { RuntimeManifest } from '../images/manifest.ts';
import { once } from '../once.ts';
import { planRun } from './entry.ts';
import type { RunSink } from './execute.ts';
import { executeRun } from './execute.ts';
import type { WarmPool } from './pool.ts';
import type { RunCost, SchedulerBudget, SchedulerSnapshot, Ticket } from './scheduler.ts';
import { FairScheduler } from './scheduler.ts';
import type { StartPriority } from './start-priority.ts';
import { WarmShare, type WarmShareOptions } from './warm-share.ts';
import { buildWorkTree, type WorkEntry } from './work-tree.ts';

interface RunServiceOptions {
  pool: WarmPool;
  cgroup: CgroupReader;
  logger: Logger;
  manifests: readonly RuntimeManifest[];
  budget: SchedulerBudget;
  /** Who may take the last warm containers (POOL_SHORT_RESERVE, POOL_LONG_RUN_MS). */
  warmShare: WarmShareOptions;
  /** Process limit of every container (each run's process cost). */
  pidsLimit: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  defaultMemoryMb: number;
  maxMemoryMb: number;
  maxOutputBytes: number;
  /** CPU ms a run uses at the default weight before it is lowered (RUN_CPU_BOOST_MS). */
  cpuBoostMs: number;
  /** Lifts the sandboxes' idle parent for each run's start (./start-priority.ts). */
  startPriority: StartPriority;
  /** Each run's CPU limit in cores (RUN_CPUS). */
  runCpus: number;
  /** A run's /work tmpfs in bytes: what its files may fill. */
  workBytes: number;
  now: () => number;
  onResult?: (language: string, result: RunResult, warm: boolean) => void;
}

type SubmitResult =
  | { ok: true; queued: boolean; result: Promise<RunOutcome> }
  | { ok: false; code: ErrorCode; message: string };

type RunOutcome = { ok: true; result: RunResult } | { ok: false; code: ErrorCode; message: string };

interface Job {
  runId: string;
  orgId: string;
  manifest: RuntimeManifest;
  request: RunRequest;
  work: readonly WorkEntry[];
  timeoutMs: number;
  memoryMb: number;
  sink: RunSink;
  signal: AbortSignal;
  resolve: (o: RunOutcome) => void;
  /** When the run was submitted (now()) and whether it waited, for the run's log lines. */
  submittedAt: number;
  queued: boolean;
}

export class RunService {
  readonly #o: RunServiceOptions;
  readonly #scheduler: FairScheduler<Job>;
  readonly #warmShare: WarmShare;
  readonly #inUse = new Set<Sandbox>();
  readonly #cleanups = new Set<Promise<void>>();
  #accepting = true;
  /** The boost's cgroup writes fail alike for every run (e.g. a read-only mount): warn once. */
  readonly #warnBoost = once((log: Logger, err: unknown) =>
    log.warn({ err }, 'cannot lower a long run’s CPU weight (warned once): no interactive boost'),
  );
  /** Aborted at the end of a shutdown drain: cancels everything still running or queued. */
  readonly #shutdown = new AbortController();

  constructor(options: RunServiceOptions) {
    this.#o = options;
    this.#scheduler = new FairScheduler<Job>(options.budget);
    this.#warmShare = new WarmShare(options.warmShare);
  }

  get running(): number {
    return this.#scheduler.snapshot().running;
  }

  get queued(): number {
    return this.#scheduler.snapshot().queued;
  }

  /** Admission state: runs admitted and waiting, and the budget they hold. */
  admission(): SchedulerSnapshot & { budget: SchedulerBudget } {
    return { ...this.#scheduler.snapshot(), budget: this.#o.budget };
  }

  get accepting(): boolean {
    return this.#accepting;
  }

  /** Whether a default-sized run from a new organization would be admitted or queued. */
  hasCapacity(): boolean {
    return this.#scheduler.wouldAccept('', { memoryMb: this.#o.defaultMemoryMb, pids: this.#o.pidsLimit });
  }

  /** Container ids this process owns (in use or warm). */
  ownedContainerIds(): Set<string> {
    return new Set([...[...this.#inUse].map((s) => s.id), ...this.#o.pool.idleContainerIds()]);
  }

  /** What a run holds while admitted: its container's memory limit (compile phase included) and pids. */
  #cost(manifest: RuntimeManifest, memoryMb: number): RunCost {
    return { memoryMb: Math.max(memoryMb, manifest.compileLimits?.memoryMb ?? 0), pids: this.#o.pidsLimit };
  }

  submit(
    runId: string,
    orgId: string,
    request: RunRequest,
    sink: RunSink,
    signal: AbortSignal,
    /** The bytes of `request.mounts`, in order, digests already checked (server/connection.ts). */
    mounts: readonly Buffer[] = [],
  ): SubmitResult {
    if (!this.#accepting) return { ok: false, code: 'shutting_down', message: 'host is shutting down' };
    const manifest = this.#o.manifests.find((m) => m.language === request.language);
    if (!manifest) {
      return {
        ok: false,
        code: 'unsupported_language',
        message: `language ${request.language} is not installed on this host`,
      };
    }
    const timeoutMs = request.limits?.timeoutMs ?? this.#o.defaultTimeoutMs;
    const memoryMb = request.limits?.memoryMb ?? this.#o.defaultMemoryMb;
    if (timeoutMs > this.#o.maxTimeoutMs) {
      return { ok: false, code: 'bad_request', message: `limits.timeoutMs: at most ${this.#o.maxTimeoutMs}` };
    }
    if (memoryMb > this.#o.maxMemoryMb) {
      return { ok: false, code: 'bad_request', message: `limits.memoryMb: at most ${this.#o.maxMemoryMb}` };
    }
    // Inline source goes in as the entry plan names it (`code` under the runtime's file name, a Java
    // entry renamed after its public class): the commands execute.ts runs come from the same plan.
    const { code, ...rest } = request;
    const inline = code !== undefined || request.files !== undefined;
    const planned = inline ? { ...rest, files: planRun(manifest, request).files } : request;
    const work = buildWorkTree(planned, manifest, mounts, this.#o.workBytes);
    if (!work.ok) return { ok: false, code: 'bad_request', message: work.message };
    const linked = AbortSignal.any([signal, this.#shutdown.signal]);
    let resolve: (o: RunOutcome) => void = () => undefined;
    const result = new Promise<RunOutcome>((r) => {
      resolve = r;
    });
    const job: Job = {
      runId,
      orgId,
      manifest,
      request,
      work: work.entries,
      timeoutMs,
      memoryMb,
      sink,
      signal: linked,
      resolve,
      submittedAt: this.#o.now(),
      queued: false,
    };
    const offer = this.#scheduler.offer(orgId, this.#cost(manifest, memoryMb), job);
    if (offer.decision === 'reject') {
      return { ok: false, code: 'capacity', message: 'host is at capacity; retry later' };
    }
    if (offer.decision === 'run') void this.#start(offer.ticket);
    else {
      job.queued = true;
      const ticket = offer.ticket;
      linked.addEventListener('abort', () => this.#dequeueCancelled(ticket), { once: true });
    }
    return { ok: true, queued: offer.decision === 'queue', result };
  }

  #dequeueCancelled(ticket: Ticket<Job>): void {
    if (!this.#scheduler.withdraw(ticket)) return;
    const job = ticket.item;
    const at = new Date(this.#o.now()).toISOString();
    job.resolve({ ok: true, result: emptyRunResult('cancelled', at) });
  }

  /** Runs an admitted ticket; releasing it starts whatever the scheduler lets in next. */
  async #start(ticket: Ticket<Job>): Promise<void> {
    const job = ticket.item;
    const log = this.#o.logger.child({ runId: job.runId, language: job.manifest.language });
    let sandbox: Sandbox | undefined;
    const admittedAt = this.#o.now();
    try {
      const acquired = await this.#o.pool.acquire(job.manifest, this.#warmShare.keepFor(job.orgId));
      const heldFrom = this.#o.now();
      sandbox = acquired.sandbox;
      this.#inUse.add(sandbox);
      // Where a run's time goes before its program starts (the noisy-neighbour bench reads these).
      log.info(
        {
          containerId: sandbox.id.slice(0, 12),
          warm: acquired.warm,
          queued: job.queued,
          admissionWaitMs: admittedAt - job.submittedAt,
          acquireMs: this.#o.now() - admittedAt,
        },
        'run started',
      );
      const execution = executeRun(
        {
          sandbox,
          manifest: job.manifest,
          request: job.request,
          work: job.work,
          timeoutMs: job.timeoutMs,
          memoryMb: job.memoryMb,
          compileTimeoutMs: job.manifest.compileLimits?.timeoutMs ?? job.timeoutMs,
          maxOutputBytes: this.#o.maxOutputBytes,
          cgroup: this.#o.cgroup,
          startPriority: this.#o.startPriority,
          cpuBoost: {
            boostMs: this.#o.cpuBoostMs,
            cpus: this.#o.runCpus,
            onError: (err) => this.#warnBoost(log, err),
          },
          now: this.#o.now,
        },
        job.sink,
        job.signal,
      );
      const owned = sandbox;
      const cleanup = execution.cleanup.then(() => {
        this.#inUse.delete(owned);
      });
      this.#track(cleanup);
      const result = await execution.result;
      this.#warmShare.record(job.orgId, this.#o.now() - heldFrom);
      log.info(
        { status: result.status, exitCode: result.exitCode, wallMs: result.wallMs, cpuMs: result.cpuMs },
        'run finished',
      );
      this.#o.onResult?.(job.manifest.language, result, acquired.warm);
      job.resolve({ ok: true, result });
    } catch (err) {
      log.error({ err }, 'run failed inside the host');
      if (sandbox) {
        const owned = sandbox;
        this.#track(
          owned
            .destroy()
            .catch(() => undefined)
            .then(() => {
              this.#inUse.delete(owned);
            }),
        );
      }
      job.resolve({ ok: false, code: 'internal', message: 'the run could not be executed' });
    } finally {
      for (const next of this.#scheduler.release(ticket)) void this.#start(next);
    }
  }

  #track(p: Promise<void>): void {
    this.#cleanups.add(p);
    void p.finally(() => this.#cleanups.delete(p));
  }

  /** Stops admitting runs (queued ones still start as slots free up). */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Cancels every run still running or queued (status `cancelled`). */
  cancelAll(): void {
    this.#shutdown.abort();
  }

  /** Resolves when nothing is running or queued and every container is gone. */
  async idle(): Promise<void> {
    for (;;) {
      const { running, queued } = this.#scheduler.snapshot();
      if (running === 0 && queued === 0 && this.#cleanups.size === 0) return;
      await Promise.race([...this.#cleanups, new Promise((r) => setTimeout(r, 50))]);
    }
  }
}
