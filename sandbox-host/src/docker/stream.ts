/**
 * Docker's multiplexed attach stream (Tty off): frames of an 8-byte header [stream, 0, 0, 0, size BE32]
 * and a payload. Parsed by hand so nothing is buffered beyond one frame.
 */
export type StreamName = 'stdout' | 'stderr';

export class DemuxParser {
  #buffer: Buffer = Buffer.alloc(0);
  readonly #onData: (stream: StreamName, data: Buffer) => void;

  constructor(onData: (stream: StreamName, data: Buffer) => void) {
    this.#onData = onData;
  }

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 8) {
      const size = this.#buffer.readUInt32BE(4);
      if (this.#buffer.length < 8 + size) return;
      const type = this.#buffer[0];
      const payload = this.#buffer.subarray(8, 8 + size);
      this.#buffer = this.#buffer.subarray(8 + size);
      // 1 = stdout, 2 = stderr (0 = stdin is never sent back).
      if (size > 0) this.#onData(type === 2 ? 'stderr' : 'stdout', payload);
    }
  }
}

export interface Marker {
  phase: 'C' | 'R';
  code: number;
}

const SEP = 0x1f;

/**
 * Finds the wrapper's completion markers (`\x1fAL:<nonce>:<phase>:<code>\x1f`) in one output stream and
 * strips them. Holds back only a tail that could be the start of a marker, so output still streams.
 */
export class MarkerScanner {
  readonly #prefix: Buffer;
  #held: Buffer = Buffer.alloc(0);

  constructor(nonce: string) {
    this.#prefix = Buffer.from(`\x1fAL:${nonce}:`, 'latin1');
  }

  push(chunk: Buffer): { data: Buffer; markers: Marker[] } {
    let buf = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    const out: Buffer[] = [];
    const markers: Marker[] = [];
    for (;;) {
      const at = buf.indexOf(this.#prefix);
      if (at === -1) break;
      const end = buf.indexOf(SEP, at + this.#prefix.length);
      if (end === -1) {
        out.push(buf.subarray(0, at));
        this.#held = Buffer.from(buf.subarray(at));
        return { data: Buffer.concat(out), markers };
      }
      const body = buf.subarray(at + this.#prefix.length, end).toString('latin1');
      const match = /^([CR]):(\d{1,3})$/.exec(body);
      if (match?.[1] && match[2]) {
        out.push(buf.subarray(0, at));
        markers.push({ phase: match[1] as 'C' | 'R', code: Number(match[2]) });
      } else {
        out.push(buf.subarray(0, end + 1));
      }
      buf = buf.subarray(end + 1);
    }
    const keep = partialPrefixLength(buf, this.#prefix);
    out.push(buf.subarray(0, buf.length - keep));
    this.#held = Buffer.from(buf.subarray(buf.length - keep));
    return { data: Buffer.concat(out), markers };
  }

  /** Whatever is held back when the stream ends. */
  flush(): Buffer {
    const rest = this.#held;
    this.#held = Buffer.alloc(0);
    return rest;
  }
}

function partialPrefixLength(buf: Buffer, prefix: Buffer): number {
  const max = Math.min(buf.length, prefix.length - 1);
  for (let len = max; len > 0; len--) {
    if (buf.subarray(buf.length - len).equals(prefix.subarray(0, len))) return len;
  }
  return 0;
}
