/**
 * Warm pool: pre-started sandboxes per language, each waiting in its wrapper for a run. A run takes one
 * (or, if none is ready, creates one on the spot); every container serves one run and is destroyed.
 * Refills run in the background with bounded concurrency, so they never take more than their share of
 * the engine from running work; failures back off instead of spinning.
 *
 * Runs that find the pool empty come before the pool itself: while any of them waits for a container
 * created on the spot, no refill starts, and once the last has its container the refills hold back one
 * refill delay for each container so created. A burst of runs on an empty pool (20 sleepers on a pool
 * of 6) otherwise has the refills' engine work, at the machine's normal CPU weight, take the CPU from the
 * waiting runs' creations and then from their interpreters' start-up, which happens in the sandboxes'
 * idle parent (docker/sandbox-cgroup.ts) and so waits behind everything else: measured on the 2-core
 * machine (docs/sandbox-host.md), 20 sleepers sent to the host directly were answered about 1 s sooner
 * (7.2–7.3 s against 8.2–8.4 s).
 */
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { ProfileLimits } from '../docker/profile.ts';
import { Sandbox } from '../docker/sandbox.ts';
import type { SandboxUids } from '../docker/sandbox-uids.ts';
import { imageName } from '../images/builder.ts';
import type { RuntimeManifest } from '../images/manifest.ts';

interface PoolOptions {
  docker: Docker;
  logger: Logger;
  hostId: string;
  instanceId: string;
  /** Installed languages. */
  manifests: readonly RuntimeManifest[];
  /** Languages kept warm (subset of manifests). */
  warmLanguages: readonly string[];
  targetSize: number;
  refillConcurrency: number;
  /** Delay between a container leaving the pool and its replacement being created. */
  refillDelayMs: number;
  limitsFor(manifest: RuntimeManifest): ProfileLimits;
  /** The sandboxes' uids (one each with SANDBOX_UID_RANGE, else 65534 for all). */
  uids: SandboxUids;
}

export class WarmPool {
  readonly #o: PoolOptions;
  readonly #idle = new Map<string, Sandbox[]>();
  readonly #creating = new Map<string, number>();
  #refilling = 0;
  /** Runs that found the pool empty and wait for a container created for them. */
  #waiting = 0;
  /** Containers created on the spot for the runs waiting now or since the last of them was served. */
  #createdOnTheSpot = 0;
  /** No refill starts before this time (ms since the epoch): the start-up of those containers' programs. */
  #holdUntil = 0;
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;
  #backoffUntil = 0;
  #backoffTimer: NodeJS.Timeout | undefined;
  #refillTimer: NodeJS.Timeout | undefined;

  constructor(options: PoolOptions) {
    this.#o = options;
  }

  start(): void {
    this.#refill();
  }

  size(language: string): number {
    return this.#idle.get(language)?.length ?? 0;
  }

  sizes(): Record<string, number> {
    return Object.fromEntries(this.#o.warmLanguages.map((l) => [l, this.size(l)]));
  }

  idleContainerIds(): string[] {
    return [...this.#idle.values()].flat().map((s) => s.id);
  }

  /**
   * A started sandbox for the language: warm if more than `keep` are ready, else created now. `keep` is
   * the reserve a run must leave for others (runner/warm-share.ts).
   */
  async acquire(manifest: RuntimeManifest, keep = 0): Promise<{ sandbox: Sandbox; warm: boolean }> {
    const list = this.#idle.get(manifest.language) ?? [];
    // A warm container whose wrapper died (e.g. killed by the engine) is useless.
    for (const dead of list.filter((s) => s.ended)) {
      list.splice(list.indexOf(dead), 1);
      void dead.destroy().catch(() => undefined);
    }
    const sandbox = list.length > keep ? list.shift() : undefined;
    this.#scheduleRefill();
    if (sandbox) return { sandbox, warm: true };
    // Only a run that could have taken any warm container holds the refills back: one kept from the
    // reserve (keep > 0, a long organization's) must not stop the reserve being refilled.
    if (list.length > 0) return { sandbox: await this.#create(manifest), warm: false };
    this.#waiting++;
    try {
      const created = await this.#create(manifest);
      this.#createdOnTheSpot++;
      return { sandbox: created, warm: false };
    } finally {
      if (--this.#waiting === 0) {
        this.#holdUntil = Date.now() + this.#o.refillDelayMs * this.#createdOnTheSpot;
        this.#createdOnTheSpot = 0;
        this.#scheduleRefill();
      }
    }
  }

  #create(manifest: RuntimeManifest): Promise<Sandbox> {
    return Sandbox.create(this.#o.docker, {
      image: imageName(manifest.language),
      hostId: this.#o.hostId,
      instanceId: this.#o.instanceId,
      slotId: `slot-${randomUUID()}`,
      language: manifest.language,
      env: manifest.env ?? {},
      limits: this.#o.limitsFor(manifest),
      uids: this.#o.uids,
    });
  }

  /**
   * Creating a container costs ~150 ms of CPU (containerd, runc, kernel) on a 2-core machine: starting
   * it in the same instant as a handover slows that run down. The refill waits a moment, so a short run
   * finishes first; under sustained load the pool still refills continuously.
   */
  #scheduleRefill(delayMs = this.#o.refillDelayMs): void {
    if (this.#refillTimer || this.#closed) return;
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = undefined;
      this.#refill();
    }, delayMs);
  }

  #refill(): void {
    if (this.#closed || Date.now() < this.#backoffUntil || this.#waiting > 0) return;
    const held = this.#holdUntil - Date.now();
    if (held > 0) {
      this.#scheduleRefill(held);
      return;
    }
    for (const language of this.#o.warmLanguages) {
      const manifest = this.#o.manifests.find((m) => m.language === language);
      if (!manifest) continue;
      while (
        this.#refilling < this.#o.refillConcurrency &&
        this.size(language) + (this.#creating.get(language) ?? 0) < this.#o.targetSize
      ) {
        this.#refilling++;
        this.#creating.set(language, (this.#creating.get(language) ?? 0) + 1);
        const creation: Promise<void> = this.#create(manifest).then(
          (sandbox) => {
            this.#done(language);
            if (this.#closed) return sandbox.destroy().catch(() => undefined);
            const list = this.#idle.get(language) ?? [];
            list.push(sandbox);
            this.#idle.set(language, list);
            this.#refill();
            return undefined;
          },
          (err: unknown) => {
            this.#done(language);
            this.#o.logger.error({ err, language }, 'warm container creation failed; backing off');
            this.#backoffUntil = Date.now() + 2000;
            clearTimeout(this.#backoffTimer);
            this.#backoffTimer = setTimeout(() => this.#refill(), 2000);
          },
        );
        this.#inFlight.add(creation);
        void creation.finally(() => this.#inFlight.delete(creation));
      }
    }
  }

  #done(language: string): void {
    this.#refilling--;
    this.#creating.set(language, (this.#creating.get(language) ?? 1) - 1);
  }

  /** Stops refilling and destroys every idle container. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#backoffTimer);
    clearTimeout(this.#refillTimer);
    // Creations under way finish first (and destroy what they made, since the pool is closed).
    await Promise.allSettled([...this.#inFlight]);
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(all.map((s) => s.destroy().catch(() => undefined)));
  }

  get creating(): number {
    return this.#refilling;
  }
}
