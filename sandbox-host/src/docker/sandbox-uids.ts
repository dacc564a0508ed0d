/**
 * The uid (and gid) each sandbox runs as. By default every sandbox is 65534 (`nobody`, the images' USER).
 * With SANDBOX_UID_RANGE each live sandbox of this host gets a uid of its own from the range. On an
 * engine with `--userns-remap`, uid N in a container is host uid <subordinate base> + N, so every run's
 * processes and files belong to a host uid that no other run and no host account has: a program that
 * escapes its container cannot signal, trace or open another run's processes or files as their owner.
 * (Docker 20.10 has no per-container user namespace; the remap is one mapping for the whole engine, and
 * a distinct uid inside that mapping gives the same separation.) The images need no passwd entry for
 * it: HOME and TMPDIR are /tmp, and the work tree's tmpfs is created for the sandbox's uid.
 */

/** The images' USER: every sandbox's uid when no range is configured. */
export const DEFAULT_SANDBOX_UID = 65534;

export interface UidRange {
  readonly first: number;
  readonly last: number;
}

export class SandboxUids {
  readonly #range: UidRange | undefined;
  readonly #inUse = new Set<number>();

  constructor(range?: UidRange) {
    this.#range = range;
  }

  /**
   * A uid no live sandbox of this host holds. The search starts at a random point, so hosts sharing
   * one engine (each knows only its own sandboxes) rarely pick the same uid.
   */
  take(): number {
    const range = this.#range;
    if (!range) return DEFAULT_SANDBOX_UID;
    const size = range.last - range.first + 1;
    const start = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i++) {
      const uid = range.first + ((start + i) % size);
      if (!this.#inUse.has(uid)) {
        this.#inUse.add(uid);
        return uid;
      }
    }
    throw new Error(`every uid of SANDBOX_UID_RANGE ${range.first}-${range.last} is in use`);
  }

  /** Called once the sandbox's container is removed (its processes are gone), never before. */
  release(uid: number): void {
    this.#inUse.delete(uid);
  }

  get inUse(): number {
    return this.#inUse.size;
  }
}
