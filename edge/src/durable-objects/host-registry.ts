import { DurableObject } from 'cloudflare:workers';
import { HOST_PATHS } from '@airlock/protocol';
import { hostHttpUrl, type SandboxHostRef } from '../domain/runs/config.ts';
import {
  type HostState,
  markFailed,
  markHealthy,
  release,
  selectHost,
} from '../domain/runs/host-selection.ts';
import { mergeRuntimes, type RuntimeList } from '../domain/runs/runtimes.ts';
import { FIXED } from '../limits.ts';

/**
 * One object (`idFromName('global')`) that knows the sandbox hosts' load and health: run sessions take
 * a lease on a host for each run and give it back at the end; a host that refused or could not be
 * reached sits out a back-off (a host at capacity is busy, not failed, and is never reported). A thin storage wrapper around the pure decisions in
 * domain/runs/host-selection.ts. It also caches the hosts' runtime lists for a few seconds, so
 * GET /v1/runtimes and run validation do not call every host on every request.
 *
 * The leases live in the object's memory only: they change twice per run, and locally every storage
 * commit is an fsync on workerd's one thread (issue 10). Losing them (the object evicted or restarted)
 * only evens out the balancing of the runs then in flight; each host still enforces its own admission.
 * Back-offs change rarely and are stored, so a restart does not send runs to a host that just failed.
 *
 * One object for all runs is a deliberate simplification: its calls are tiny and synchronous; at a
 * scale where it matters, shard it by region.
 */
export const RUNTIMES_CACHE_MS = FIXED.runtimesCacheMs;
const RUNTIMES_FETCH_TIMEOUT_MS = FIXED.runtimesFetchTimeoutMs;

export type Acquired =
  /** `backedOff`: the host is in a back-off, so an accepted run should report it healthy again. */
  | { ok: true; host: SandboxHostRef; backedOff: boolean }
  | { ok: false; reason: 'no_hosts' | 'all_unhealthy' };

const BACKOFF_KEY = 'backoffUntil';

export class HostRegistry extends DurableObject<Env> {
  #runtimes: { key: string; at: number; value: RuntimeList } | undefined;
  #state: HostState;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#state = {
      leases: {},
      backoffUntil: ctx.storage.kv.get<HostState['backoffUntil']>(BACKOFF_KEY) ?? {},
    };
  }

  /** What the registry holds now (leases and back-offs): for tests and operators' inspection. */
  view(): HostState {
    return this.#state;
  }

  acquire(hosts: SandboxHostRef[], runId: string, now: number, exclude: string[] = []): Acquired {
    const selection = selectHost(hosts, this.#state, runId, now, new Set(exclude));
    if (!selection.ok) return selection;
    this.#state = selection.state;
    return { ok: true, host: selection.host, backedOff: selection.host.id in selection.state.backoffUntil };
  }

  release(runId: string): void {
    this.#state = release(this.#state, runId);
  }

  report(hostId: string, healthy: boolean, now: number): void {
    const next = healthy ? markHealthy(this.#state, hostId) : markFailed(this.#state, hostId, now);
    if (next === this.#state) return;
    this.#state = next;
    this.ctx.storage.kv.put(BACKOFF_KEY, next.backoffUntil);
  }

  /** Runtimes offered by the reachable hosts (cached briefly); unreachable hosts are marked failed. */
  async runtimes(hosts: SandboxHostRef[], now: number): Promise<RuntimeList> {
    const key = JSON.stringify(hosts);
    const cached = this.#runtimes;
    if (cached && cached.key === key && now - cached.at < RUNTIMES_CACHE_MS) return cached.value;
    const answers = await Promise.all(
      hosts.map(async (host) => {
        try {
          const res = await fetch(hostHttpUrl(host, HOST_PATHS.runtimes), {
            signal: AbortSignal.timeout(RUNTIMES_FETCH_TIMEOUT_MS),
          });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return { host, body: (await res.json()) as unknown };
        } catch {
          this.report(host.id, false, now);
          return { host, body: undefined };
        }
      }),
    );
    const value = mergeRuntimes(answers);
    // Only a complete answer is cached: an outage should heal at the next request.
    if (value.reachableHosts === hosts.length) this.#runtimes = { key, at: now, value };
    return value;
  }
}
