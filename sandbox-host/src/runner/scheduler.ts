/**
 * Admission and fair queuing, pure (no I/O, no clock): which run starts now, which waits, which is refused.
 *
 * A run costs what its container may take: its memory limit and its process limit. Runs are admitted
 * while the admitted runs' costs fit the host's budget (memory, processes, an absolute cap on runs), not
 * while a core is free: a run that sleeps or waits on I/O costs no CPU, and CPU is shared by the kernel's
 * scheduler (every container has its own CPU limit).
 *
 * Fairness: one organization may hold at most `orgShare` of each budget (but always at least one run,
 * so a small budget never locks an organization out). When runs must wait, each organization has its own
 * FIFO queue; a freed place goes to the waiting organization with the fewest runs admitted, ties broken
 * round-robin (the organization served longest ago first). A tenant that floods the queue therefore waits
 * behind its own runs, never in front of another tenant's. Queues are bounded per organization and in
 * total; beyond that a run is refused at once (`capacity`) instead of waiting without end.
 *
 * A new run may start at once only when no waiting run is held back by the host's budget (otherwise
 * small newcomers could starve a larger waiting run); runs held back only by their own organization's
 * share never delay other organizations.
 */

export interface RunCost {
  memoryMb: number;
  pids: number;
}

export interface SchedulerBudget {
  /** Sum of admitted runs' memory limits may not exceed this. */
  memoryMb: number;
  /** Sum of admitted runs' process limits may not exceed this. */
  pids: number;
  /** Absolute cap on admitted runs. */
  maxRunning: number;
  /** Fraction (0, 1] of each budget one organization may hold. */
  orgShare: number;
  /** Waiting runs, in total and per organization. */
  maxQueued: number;
  maxQueuedPerOrg: number;
}

export type Offer<T> = { decision: 'run' | 'queue'; ticket: Ticket<T> } | { decision: 'reject' };

export interface Ticket<T> {
  readonly orgId: string;
  readonly cost: RunCost;
  readonly item: T;
}

interface Usage {
  runs: number;
  memoryMb: number;
  pids: number;
}

const ZERO: Usage = { runs: 0, memoryMb: 0, pids: 0 };

export interface SchedulerSnapshot {
  running: number;
  queued: number;
  memoryMb: number;
  pids: number;
  /** Organizations with runs admitted or waiting. */
  orgs: number;
}

export class FairScheduler<T> {
  readonly #budget: SchedulerBudget;
  readonly #used: Usage = { runs: 0, memoryMb: 0, pids: 0 };
  readonly #running = new Set<Ticket<T>>();
  readonly #byOrg = new Map<string, Usage>();
  /** Waiting runs per organization; the Map's order is the round-robin order (served → moved last). */
  readonly #queues = new Map<string, Ticket<T>[]>();
  #queued = 0;

  constructor(budget: SchedulerBudget) {
    this.#budget = budget;
  }

  /** Admits (`run`), queues, or refuses a new run. A `run` ticket is already counted as running. */
  offer(orgId: string, cost: RunCost, item: T): Offer<T> {
    const ticket: Ticket<T> = { orgId, cost, item };
    // A run bigger than the whole budget could never start: refuse it rather than let it block the queue.
    if (!this.#fitsEmptyHost(cost)) return { decision: 'reject' };
    const ownQueue = this.#queues.get(orgId);
    if (!ownQueue && !this.#heldByBudget() && this.#fits(ticket)) {
      this.#admit(ticket);
      return { decision: 'run', ticket };
    }
    if (this.#queued >= this.#budget.maxQueued) return { decision: 'reject' };
    if ((ownQueue?.length ?? 0) >= this.#budget.maxQueuedPerOrg) return { decision: 'reject' };
    if (ownQueue) ownQueue.push(ticket);
    else this.#queues.set(orgId, [ticket]);
    this.#queued++;
    return { decision: 'queue', ticket };
  }

  /** Ends an admitted run; returns the waiting runs that start now, in order (already counted). */
  release(ticket: Ticket<T>): Ticket<T>[] {
    if (!this.#running.delete(ticket)) return [];
    add(this.#used, ticket.cost, -1);
    const org = this.#byOrg.get(ticket.orgId);
    if (org) {
      add(org, ticket.cost, -1);
      if (org.runs === 0) this.#byOrg.delete(ticket.orgId);
    }
    return this.#dispatch();
  }

  /** Withdraws a waiting run (cancelled before it started); false if it is not waiting. */
  withdraw(ticket: Ticket<T>): boolean {
    const queue = this.#queues.get(ticket.orgId);
    const i = queue?.indexOf(ticket) ?? -1;
    if (!queue || i === -1) return false;
    queue.splice(i, 1);
    this.#queued--;
    if (queue.length === 0) this.#queues.delete(ticket.orgId);
    return true;
  }

  /** Whether a run of this cost from this organization would be admitted or queued now. */
  wouldAccept(orgId: string, cost: RunCost): boolean {
    if (!this.#queues.has(orgId) && !this.#heldByBudget() && this.#fits({ orgId, cost, item: undefined }))
      return true;
    return (
      this.#queued < this.#budget.maxQueued &&
      (this.#queues.get(orgId)?.length ?? 0) < this.#budget.maxQueuedPerOrg
    );
  }

  snapshot(): SchedulerSnapshot {
    return {
      running: this.#used.runs,
      queued: this.#queued,
      memoryMb: this.#used.memoryMb,
      pids: this.#used.pids,
      orgs: new Set([...this.#byOrg.keys(), ...this.#queues.keys()]).size,
    };
  }

  /** Starts waiting runs while any fits: fewest admitted runs first, then round-robin order. */
  #dispatch(): Ticket<T>[] {
    const started: Ticket<T>[] = [];
    for (;;) {
      let pick: string | undefined;
      let fewest = Number.POSITIVE_INFINITY;
      for (const [orgId, queue] of this.#queues) {
        const head = queue[0];
        if (!head || !this.#fits(head)) continue;
        const runs = this.#byOrg.get(orgId)?.runs ?? 0;
        if (runs < fewest) {
          fewest = runs;
          pick = orgId;
        }
      }
      if (pick === undefined) return started;
      const queue = this.#queues.get(pick) ?? [];
      const head = queue.shift() as Ticket<T>;
      this.#queued--;
      // Served: this organization goes to the back of the round-robin order.
      this.#queues.delete(pick);
      if (queue.length > 0) this.#queues.set(pick, queue);
      this.#admit(head);
      started.push(head);
    }
  }

  #admit(ticket: Ticket<T>): void {
    this.#running.add(ticket);
    add(this.#used, ticket.cost, 1);
    const org = this.#byOrg.get(ticket.orgId) ?? { ...ZERO };
    add(org, ticket.cost, 1);
    this.#byOrg.set(ticket.orgId, org);
  }

  /** Host budget and the organization's share both leave room for this run. */
  #fits(t: Ticket<unknown>): boolean {
    if (!this.#fitsHost(t.cost)) return false;
    const org = this.#byOrg.get(t.orgId);
    if (!org || org.runs === 0) return true;
    const b = this.#budget;
    const share = b.orgShare;
    return (
      org.runs + 1 <= Math.max(1, Math.floor(b.maxRunning * share)) &&
      org.memoryMb + t.cost.memoryMb <= b.memoryMb * share &&
      org.pids + t.cost.pids <= b.pids * share
    );
  }

  #fitsHost(cost: RunCost): boolean {
    const b = this.#budget;
    return (
      this.#used.runs + 1 <= b.maxRunning &&
      this.#used.memoryMb + cost.memoryMb <= b.memoryMb &&
      this.#used.pids + cost.pids <= b.pids
    );
  }

  #fitsEmptyHost(cost: RunCost): boolean {
    const b = this.#budget;
    return b.maxRunning >= 1 && cost.memoryMb <= b.memoryMb && cost.pids <= b.pids;
  }

  /** Some waiting run is held back by the host's budget (not merely by its organization's share). */
  #heldByBudget(): boolean {
    for (const queue of this.#queues.values()) {
      const head = queue[0];
      if (head && !this.#fitsHost(head.cost)) return true;
    }
    return false;
  }
}

function add(u: Usage, cost: RunCost, sign: 1 | -1): void {
  u.runs += sign;
  u.memoryMb += sign * cost.memoryMb;
  u.pids += sign * cost.pids;
}
