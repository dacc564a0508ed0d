/**
 * Output accounting for one run: what each stream may still send, what it has sent, and the text kept for
 * the result. Memory per run is bounded by the output limit (the kept text never exceeds what was sent),
 * and the work per byte is constant.
 *
 * Every byte the program writes is charged, markers and held marker candidates included (the raw count
 * from the sandbox), so nothing a program writes escapes the limit. The raw allowance above the limit is
 * the wrapper's own markers (a compile and a run marker per stream), so a program that writes exactly the
 * limit still succeeds; what is relayed never exceeds the limit.
 */
import { LIMITS } from '@airlock/protocol';
import type { StreamName } from '../docker/stream.ts';
import { MAX_MARKER_BODY } from '../docker/stream.ts';

export interface OutputSink {
  output(stream: StreamName, text: string): void;
}

class StreamAccount {
  /** Bytes the program wrote (before marker stripping). */
  raw = 0;
  /** Bytes relayed (after marker stripping), at most the limit. */
  relayed = 0;
  truncated = false;
  text = '';
  readonly decoder = new TextDecoder('utf-8');
}

export class OutputAccount {
  readonly #max: number;
  readonly #rawMax: number;
  readonly #sink: OutputSink;
  readonly #streams = { stdout: new StreamAccount(), stderr: new StreamAccount() };

  constructor(maxBytes: number, nonceLength: number, sink: OutputSink) {
    this.#max = maxBytes;
    // Two wrapper markers per stream: `\x1fAL:<nonce>:` + body + `\x1f`.
    this.#rawMax = maxBytes + 2 * (nonceLength + 5 + MAX_MARKER_BODY + 1);
    this.#sink = sink;
  }

  /** Charges and relays one piece; false once the stream has reached its limit (the run must end). */
  take(name: StreamName, data: Buffer, rawBytes: number): boolean {
    const s = this.#streams[name];
    if (s.truncated) return false;
    s.raw += rawBytes;
    let piece = data;
    const room = this.#max - s.relayed;
    if (piece.length > room) {
      piece = piece.subarray(0, room);
      s.truncated = true;
    }
    if (s.raw > this.#rawMax) s.truncated = true;
    s.relayed += piece.length;
    for (let i = 0; i < piece.length; i += LIMITS.outputChunkBytes) {
      this.#relay(
        s,
        name,
        s.decoder.decode(piece.subarray(i, i + LIMITS.outputChunkBytes), { stream: true }),
      );
    }
    return !s.truncated;
  }

  /** Appends a host note (e.g. a compile timeout) to the kept text only. */
  note(name: StreamName, text: string): void {
    this.#streams[name].text += text;
  }

  /** Flushes the decoders (an incomplete UTF-8 sequence at the end becomes U+FFFD). */
  end(): void {
    for (const name of ['stdout', 'stderr'] as const) {
      const s = this.#streams[name];
      this.#relay(s, name, s.decoder.decode());
    }
  }

  result() {
    const { stdout, stderr } = this.#streams;
    return {
      stdout: stdout.text,
      stderr: stderr.text,
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
    };
  }

  /** Raw bytes charged so far, per stream (for tests and logs). */
  charged(): Record<StreamName, number> {
    return { stdout: this.#streams.stdout.raw, stderr: this.#streams.stderr.raw };
  }

  #relay(s: StreamAccount, name: StreamName, text: string): void {
    if (text.length === 0) return;
    s.text += text;
    this.#sink.output(name, text);
  }
}
