import { FIXED } from '../../limits.ts';
import type { SandboxHostRef } from './config.ts';

/**
 * Which sandbox host gets the next run: the least loaded of the healthy ones. Load is the number of
 * live leases (one per run in flight, each with an expiry so that a run whose session died without
 * releasing cannot pin a host forever); a host that failed recently (refused, unreachable) sits out a
 * back-off. A host at capacity is not a failed one: it is never reported here. Ties go to the host
 * listed first, so a single-host setup is deterministic.
 * Pure: state and `now` come in, the decision goes out.
 */

export interface Lease {
  hostId: string;
  expiresAt: number;
}

export interface HostState {
  /** runId → lease. */
  leases: Record<string, Lease>;
  /** hostId → time until which the host is skipped. */
  backoffUntil: Record<string, number>;
}

export const EMPTY_HOST_STATE: HostState = { leases: {}, backoffUntil: {} };

/** How long a failed host sits out; how long a lease lives without a release. */
export const HOST_BACKOFF_MS = FIXED.hostBackoffMs;
export const LEASE_TTL_MS = FIXED.hostLeaseTtlMs;

export function liveLoad(state: HostState, now: number): Map<string, number> {
  const load = new Map<string, number>();
  for (const lease of Object.values(state.leases)) {
    if (lease.expiresAt > now) load.set(lease.hostId, (load.get(lease.hostId) ?? 0) + 1);
  }
  return load;
}

export type Selection =
  | { ok: true; host: SandboxHostRef; state: HostState }
  | { ok: false; reason: 'no_hosts' | 'all_unhealthy' };

/**
 * Picks a host for `runId`, never one in `exclude` (hosts this run already failed on), and records the
 * lease. With every host in back-off, the least recently failed one is still tried: a back-off is a
 * preference, not an outage, and the run would otherwise fail without trying anything.
 */
export function selectHost(
  hosts: readonly SandboxHostRef[],
  state: HostState,
  runId: string,
  now: number,
  exclude: ReadonlySet<string> = new Set(),
): Selection {
  const candidates = hosts.filter((h) => !exclude.has(h.id));
  if (hosts.length === 0) return { ok: false, reason: 'no_hosts' };
  if (candidates.length === 0) return { ok: false, reason: 'all_unhealthy' };
  const load = liveLoad(state, now);
  const healthy = candidates.filter((h) => (state.backoffUntil[h.id] ?? 0) <= now);
  const pool = healthy.length > 0 ? healthy : candidates;
  let best = pool[0] as SandboxHostRef;
  for (const h of pool) {
    const better =
      healthy.length > 0
        ? (load.get(h.id) ?? 0) < (load.get(best.id) ?? 0)
        : (state.backoffUntil[h.id] ?? 0) < (state.backoffUntil[best.id] ?? 0);
    if (better) best = h;
  }
  return { ok: true, host: best, state: withLease(prune(state, now), runId, best.id, now) };
}

export function withLease(state: HostState, runId: string, hostId: string, now: number): HostState {
  return { ...state, leases: { ...state.leases, [runId]: { hostId, expiresAt: now + LEASE_TTL_MS } } };
}

export function release(state: HostState, runId: string): HostState {
  if (!(runId in state.leases)) return state;
  const { [runId]: _gone, ...leases } = state.leases;
  return { ...state, leases };
}

export function markFailed(state: HostState, hostId: string, now: number): HostState {
  return { ...state, backoffUntil: { ...state.backoffUntil, [hostId]: now + HOST_BACKOFF_MS } };
}

export function markHealthy(state: HostState, hostId: string): HostState {
  if (!(hostId in state.backoffUntil)) return state;
  const { [hostId]: _gone, ...backoffUntil } = state.backoffUntil;
  return { ...state, backoffUntil };
}

export function prune(state: HostState, now: number): HostState {
  const leases = Object.fromEntries(Object.entries(state.leases).filter(([, l]) => l.expiresAt > now));
  const backoffUntil = Object.fromEntries(Object.entries(state.backoffUntil).filter(([, t]) => t > now));
  return { leases, backoffUntil };
}
