/**
 * Merges a run's output frames while they arrive back to back, so that the edge stores and sends one
 * frame where the host sent many (issue 10: a flood of 16 KiB host frames cost the run's Durable
 * Object one storage write, one commit and one broadcast each, and every other run on the same
 * workerd waited behind that work).
 *
 * Never at the cost of promptness:
 * - output that arrives after a quiet spell is emitted at once (the first output of a run is never
 *   held: issue 18's first-output latency);
 * - only output arriving within `windowMs` of the last emit is held, and for at most `windowMs`;
 * - a held frame goes out at once when it reaches `maxChars`, when the other stream's output
 *   arrives (stdout and stderr keep their relative order), and on `flush()`, which the owner calls
 *   before any other frame (`started`, `error`, the final `exit`).
 *
 * Merging is plain concatenation of the decoded strings, so what a watcher reassembles is identical
 * to what the host sent. Timers are injected so the behaviour is testable without waiting.
 */

export interface OutputChunk {
  type: 'stdout' | 'stderr';
  data: string;
}

export interface CoalescerTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface CoalescerOptions {
  /** How long after an emit further output may be held (and the longest any output is held). */
  windowMs: number;
  /** A held frame is emitted as soon as it reaches this many UTF-16 code units. */
  maxChars: number;
  timers?: CoalescerTimers;
}

const REAL_TIMERS: CoalescerTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class OutputCoalescer {
  readonly #emit: (chunk: OutputChunk) => void;
  readonly #windowMs: number;
  readonly #maxChars: number;
  readonly #timers: CoalescerTimers;
  /** Held output of one stream: the parts are joined once, when emitted. */
  #held: { type: OutputChunk['type']; parts: string[]; chars: number } | undefined;
  /** Set while the window after an emit is open; output arriving then is held. */
  #timer: unknown;

  constructor(emit: (chunk: OutputChunk) => void, options: CoalescerOptions) {
    this.#emit = emit;
    this.#windowMs = options.windowMs;
    this.#maxChars = options.maxChars;
    this.#timers = options.timers ?? REAL_TIMERS;
  }

  /** Output frames pushed and not yet emitted (held), in UTF-16 code units. */
  get heldChars(): number {
    return this.#held?.chars ?? 0;
  }

  push(chunk: OutputChunk): void {
    if (chunk.data.length === 0) return;
    if (this.#timer === undefined) {
      // Quiet until now: out at once, and open a window for whatever follows right behind it.
      this.#emit(chunk);
      this.#openWindow();
      return;
    }
    if (this.#held && this.#held.type !== chunk.type) this.#emitHeld();
    if (this.#held) {
      this.#held.parts.push(chunk.data);
      this.#held.chars += chunk.data.length;
    } else {
      this.#held = { type: chunk.type, parts: [chunk.data], chars: chunk.data.length };
    }
    if (this.#held.chars >= this.#maxChars) this.#emitHeld();
  }

  /** Emits what is held now and closes the window: the next output goes out at once. */
  flush(): void {
    this.#emitHeld();
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #openWindow(): void {
    this.#timer = this.#timers.set(() => this.#onWindowEnd(), this.#windowMs);
  }

  #onWindowEnd(): void {
    this.#timer = undefined;
    // Output kept coming: send it and keep merging what follows; otherwise the window closes.
    if (this.#held) {
      this.#emitHeld();
      this.#openWindow();
    }
  }

  #emitHeld(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    this.#emit({
      type: held.type,
      data: held.parts.length === 1 ? (held.parts[0] as string) : held.parts.join(''),
    });
  }
}
