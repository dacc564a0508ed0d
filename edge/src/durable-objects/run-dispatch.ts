import type { RunRequest } from '@airlock/protocol';
import type { CryptoKey } from 'jose';
import type { SandboxHostRef } from '../domain/runs/config.ts';
import type { TransferRule } from '../domain/runs/transfer.ts';
import type { Logger } from '../lib/logger.ts';
import { FIXED } from '../limits.ts';
import { type MountOpener, offerRun, type Upstream } from './host-connection.ts';

/**
 * Finds a sandbox host for a run, through the HostRegistry's leases and back-offs. A host that is
 * unreachable or refuses is reported failed (it sits out a back-off) and excluded for this run; a host
 * at capacity is healthy and only skipped for the current round. When a round ends with no taker but
 * some hosts were merely busy, the run waits for a place (a short pause, then the busy hosts again)
 * up to `busyWaitMs`, and then answers `busy`: the caller says `sandbox_busy`, not that the run failed.
 * A mounted file whose object is gone ends the dispatch at once with `file_missing`: no host is
 * blamed (none was contacted) and none is tried again, as every offer would find the same.
 */

export interface DispatchInput {
  runId: string;
  /** The run's organization: the run token's org claim (the host's fair share is per organization). */
  orgId: string;
  request: RunRequest;
  hosts: readonly SandboxHostRef[];
  busyWaitMs: number;
  key: CryptoKey;
  /** Opens a mounted file's bytes (issue 15); each offer to a host opens them afresh. */
  openMount?: MountOpener;
  /** How long a host may take to receive the mounted files (domain/runs/transfer.ts). */
  fileTransfer: TransferRule;
}

export type Dispatched =
  | { outcome: 'accepted'; hostId: string; socket: WebSocket }
  | { outcome: 'busy' }
  | { outcome: 'unavailable' }
  | { outcome: 'file_missing' };

type Registry = ReturnType<Env['HOST_REGISTRY']['get']>;

export interface DispatchContext {
  registry: Registry;
  /** Where the accepting host's frames go. */
  upstreamFor(hostId: string): Upstream;
  log: Logger;
  /** Bookkeeping the run does not wait for. */
  background(promise: Promise<unknown>): void;
}

export async function dispatchRun(input: DispatchInput, ctx: DispatchContext): Promise<Dispatched> {
  const { registry, log } = ctx;
  const deadline = Date.now() + input.busyWaitMs;
  const failed: string[] = [];
  for (;;) {
    const busy: string[] = [];
    for (;;) {
      const acquired = await registry.acquire([...input.hosts], input.runId, Date.now(), [
        ...failed,
        ...busy,
      ]);
      if (!acquired.ok) break;
      const host = acquired.host;
      const attempt = await offerRun({
        host,
        key: input.key,
        runId: input.runId,
        orgId: input.orgId,
        request: input.request,
        upstream: ctx.upstreamFor(host.id),
        log,
        fileTransfer: input.fileTransfer,
        ...(input.openMount ? { openMount: input.openMount } : {}),
      });
      if (attempt.outcome === 'accepted') {
        // Off the request path: clearing a back-off is bookkeeping, not something the run waits for;
        // and only a host in a back-off has one to clear (one Durable Object call less per run).
        if (acquired.backedOff) ctx.background(registry.report(host.id, true, Date.now()));
        return { outcome: 'accepted', hostId: host.id, socket: attempt.socket };
      }
      await registry.release(input.runId);
      if (attempt.outcome === 'file_missing') return { outcome: 'file_missing' };
      if (attempt.outcome === 'busy') {
        busy.push(host.id);
      } else {
        failed.push(host.id);
        await registry.report(host.id, false, Date.now());
      }
    }
    if (busy.length === 0) {
      log.warn('no sandbox host available', { failed: failed.length });
      return { outcome: 'unavailable' };
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      log.info('every sandbox host is at capacity', { busy: busy.length, failed: failed.length });
      return { outcome: 'busy' };
    }
    await new Promise((r) => setTimeout(r, Math.min(FIXED.busyHostRetryPauseMs, left)));
  }
}
