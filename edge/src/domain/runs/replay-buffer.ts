import type { StreamFrame } from './frames.ts';

/**
 * The bounded transcript of one run: every frame with its `seq`, for reconnects (`?from=SEQ` gets the
 * frames after SEQ) and late watchers (the whole transcript). Output is already capped by the host at
 * 1 MiB per stream, so the default budget holds a complete run; the bound is a backstop: past it the
 * oldest output frames go (the final `exit` frame carries the complete result anyway).
 */
export const DEFAULT_REPLAY_BYTES = 3 * 1024 * 1024;

export class ReplayBuffer {
  readonly #frames: StreamFrame[] = [];
  readonly #maxBytes: number;
  #bytes = 0;
  #nextSeq = 0;
  #dropped = 0;

  constructor(maxBytes = DEFAULT_REPLAY_BYTES, frames: readonly StreamFrame[] = []) {
    this.#maxBytes = maxBytes;
    for (const f of [...frames].sort((a, b) => a.seq - b.seq)) this.#add(f);
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Frames dropped to stay within the budget. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Appends a frame body with the next seq and returns the sequenced frame. */
  append<T extends StreamFrame>(make: (seq: number) => T): T {
    const frame = make(this.#nextSeq);
    this.#add(frame);
    return frame;
  }

  /** Frames with seq > `from` (all of them when `from` is undefined), oldest first. */
  after(from: number | undefined): StreamFrame[] {
    return from === undefined ? [...this.#frames] : this.#frames.filter((f) => f.seq > from);
  }

  #add(frame: StreamFrame): void {
    this.#frames.push(frame);
    this.#bytes += frameBytes(frame);
    this.#nextSeq = Math.max(this.#nextSeq, frame.seq + 1);
    while (this.#bytes > this.#maxBytes) {
      const i = this.#frames.findIndex((f) => f.type === 'stdout' || f.type === 'stderr');
      if (i < 0) break;
      const [gone] = this.#frames.splice(i, 1);
      if (gone) this.#bytes -= frameBytes(gone);
      this.#dropped += 1;
    }
  }
}

function frameBytes(frame: StreamFrame): number {
  // UTF-16 length is a fine upper-bound proxy for the budget; exactness does not matter here.
  switch (frame.type) {
    case 'stdout':
    case 'stderr':
      return frame.data.length + 64;
    case 'exit':
      return frame.result.stdout.length + frame.result.stderr.length + 256;
    default:
      return 128;
  }
}
