/**
 * A run's start at the machine's normal priority. The sandboxes' parent is an idle group
 * (HOST_SANDBOX_CPU_IDLE): the host, the engine and the edge take a core from any sandbox at once. But
 * a fresh run's own program is a sandbox too, and the engine's work for its neighbours (starting and
 * removing their containers: ~0.2 s of CPU each in runc, the shim and containerd) took every core from it:
 * a scheduler trace of a warm hello world whose program began 480 ms after its input showed the program
 * runnable all that time, run in slices of ~0.1 ms between the neighbours' shims, containerd and runc.
 *
 * So while any run is within its first RUN_START_PRIORITY_MS (and not ended), the parent is an ordinary
 * group, and the idle flag comes back when the last such window closes. The long runs inside stay idle
 * themselves (their own cgroup's cpu.idle, set with their lowered weight: runner/cpu-boost.ts), so the
 * starting run goes before them, and the kernel hands the parent's weight to the cores where its
 * runnable, non-idle sandboxes are. docs/sandbox-host.md ("CPU") has the measurements.
 *
 * One flag for the whole parent, counted here: two writes per burst of starts, none per run inside one.
 */
export interface StartPriorityInput {
  /** How long a run's start keeps the parent ordinary; 0 = never (the parent stays as configured). */
  windowMs: number;
  /** Writes the parent's idle flag; throws when it cannot (reported once through onError). */
  setParentIdle: ((idle: boolean) => void) | null;
  onError: (err: unknown) => void;
}

export class StartPriority {
  readonly #in: StartPriorityInput;
  #open = 0;

  constructor(input: StartPriorityInput) {
    this.#in = input;
  }

  /** How many runs are within their start window now. */
  get open(): number {
    return this.#open;
  }

  /** A run's start; the returned function ends its window early (its end). Safe to call twice. */
  begin(): () => void {
    const { windowMs, setParentIdle } = this.#in;
    if (windowMs <= 0 || setParentIdle === null) return () => undefined;
    if (this.#open++ === 0) this.#write(false);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      if (--this.#open === 0) this.#write(true);
    };
    const timer = setTimeout(close, windowMs);
    return close;
  }

  #write(idle: boolean): void {
    try {
      this.#in.setParentIdle?.(idle);
    } catch (err) {
      this.#in.onError(err);
    }
  }
}
