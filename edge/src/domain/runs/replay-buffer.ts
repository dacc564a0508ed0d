import { FIXED } from '../../limits.ts';
import type { StreamFrame } from './frames.ts';

/**
 * The bounded transcript of one stream: every frame with its `seq`, for reconnects (`?from=SEQ` gets
 * the frames after SEQ) and late watchers (the whole transcript). Output is already capped by the host
 * at 1 MiB per stream, so the default budget holds a complete run; the bound is a backstop: past it the
 * oldest droppable frames go (the final frame carries the complete result anyway).
 *
 * Generic over the frame type so that any stream (a run's, a task's) can keep one; the policy says
 * what a frame weighs and whether it may be dropped. The default policy is the run stream's.
 */
export const DEFAULT_REPLAY_BYTES = FIXED.replayBufferBytes;

export interface SequencedFrame {
  readonly seq: number;
  readonly type: string;
}

export interface ReplayPolicy<F extends SequencedFrame> {
  /** An upper-bound estimate of what the frame costs to keep. */
  bytes(frame: F): number;
  /** Output-like frames may go under pressure; structural ones (`started`, `error`) stay. */
  droppable(frame: F): boolean;
}

export const RUN_FRAME_POLICY: ReplayPolicy<StreamFrame> = {
  // UTF-16 length is a fine upper-bound proxy for the budget; exactness does not matter here.
  bytes(frame) {
    switch (frame.type) {
      case 'stdout':
      case 'stderr':
        return frame.data.length + 64;
      case 'exit':
        return frame.result.stdout.length + frame.result.stderr.length + 256;
      default:
        return 128;
    }
  },
  droppable: (frame) => frame.type === 'stdout' || frame.type === 'stderr',
};

export class ReplayBuffer<F extends SequencedFrame = StreamFrame> {
  readonly #frames: F[] = [];
  readonly #maxBytes: number;
  readonly #policy: ReplayPolicy<F>;
  #bytes = 0;
  #nextSeq = 0;
  #dropped = 0;

  constructor(
    maxBytes = DEFAULT_REPLAY_BYTES,
    frames: readonly F[] = [],
    policy: ReplayPolicy<F> = RUN_FRAME_POLICY as unknown as ReplayPolicy<F>,
  ) {
    this.#maxBytes = maxBytes;
    this.#policy = policy;
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
  append<T extends F>(make: (seq: number) => T): T {
    const frame = make(this.#nextSeq);
    this.#add(frame);
    return frame;
  }

  /** Frames with seq > `from` (all of them when `from` is undefined), oldest first. */
  after(from: number | undefined): F[] {
    return from === undefined ? [...this.#frames] : this.#frames.filter((f) => f.seq > from);
  }

  #add(frame: F): void {
    this.#frames.push(frame);
    this.#bytes += this.#policy.bytes(frame);
    this.#nextSeq = Math.max(this.#nextSeq, frame.seq + 1);
    while (this.#bytes > this.#maxBytes) {
      const i = this.#frames.findIndex((f) => this.#policy.droppable(f));
      if (i < 0) break;
      const [gone] = this.#frames.splice(i, 1);
      if (gone) this.#bytes -= this.#policy.bytes(gone);
      this.#dropped += 1;
    }
  }
}
