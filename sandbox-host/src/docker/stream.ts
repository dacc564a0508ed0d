/**
 * The output channel, O(1) work per byte and bounded memory whatever the program writes.
 *
 * DemuxParser: Docker's multiplexed attach stream (Tty off) is frames of an 8-byte header
 * [stream, 0, 0, 0, size BE32] and a payload. Payload bytes are passed on as they arrive (a large frame is
 * never gathered first), so the parser holds at most one header.
 *
 * MarkerScanner: finds the wrapper's completion markers (`\x1fAL:<nonce>:<phase>:<code>\x1f`) in one
 * output stream and strips them. It is a small automaton: outside a candidate it jumps from one \x1f to
 * the next (the prefix holds \x1f only at its start, so a mismatch never needs to look back); inside a
 * candidate it holds at most the prefix and a body of MAX_BODY bytes. A candidate that turns out not to
 * be a marker (wrong byte, body too long or malformed) is released as output at once, so a forged or
 * unterminated prefix costs exactly what the same bytes of ordinary output cost. The program can read the
 * nonce (same user as the wrapper), so a forged marker is expected: it can at most end or mislabel its
 * own run (see runner/execute.ts, which also counts every raw byte toward the output limit).
 */
export type StreamName = 'stdout' | 'stderr';

export class DemuxParser {
  readonly #header = Buffer.alloc(8);
  #headerFill = 0;
  #remaining = 0;
  #stream: StreamName = 'stdout';
  readonly #onData: (stream: StreamName, data: Buffer) => void;

  constructor(onData: (stream: StreamName, data: Buffer) => void) {
    this.#onData = onData;
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#remaining === 0) {
        const take = Math.min(8 - this.#headerFill, chunk.length - i);
        chunk.copy(this.#header, this.#headerFill, i, i + take);
        this.#headerFill += take;
        i += take;
        if (this.#headerFill < 8) return;
        this.#headerFill = 0;
        // 1 = stdout, 2 = stderr (0 = stdin is never sent back).
        this.#stream = this.#header[0] === 2 ? 'stderr' : 'stdout';
        this.#remaining = this.#header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - i);
      this.#remaining -= take;
      this.#onData(this.#stream, chunk.subarray(i, i + take));
      i += take;
    }
  }
}

export interface Marker {
  phase: 'C' | 'R';
  code: number;
}

const SEP = 0x1f;
/** The longest marker body: `R:255` (phase, colon, at most three digits). */
export const MAX_MARKER_BODY = 5;

export interface ScanResult {
  /** Output with markers stripped (possibly empty while a candidate is held). */
  data: Buffer;
  markers: Marker[];
}

export class MarkerScanner {
  readonly #prefix: Buffer;
  /** Prefix bytes matched so far (0 = not inside a candidate). */
  #matched = 0;
  readonly #body = Buffer.alloc(MAX_MARKER_BODY);
  #bodyLength = 0;
  #examined = 0;

  constructor(nonce: string) {
    this.#prefix = Buffer.from(`\x1fAL:${nonce}:`, 'latin1');
    if (this.#prefix.indexOf(SEP, 1) !== -1) throw new Error('the nonce may not contain the separator');
  }

  /** Bytes held back as a possible marker: never more than the prefix plus a marker body. */
  get heldBytes(): number {
    return this.#matched + this.#bodyLength;
  }

  /** Bytes looked at so far, including skips: the work done, linear in the input. */
  get bytesExamined(): number {
    return this.#examined;
  }

  /** The longest a held candidate can be (prefix, body, closing separator). */
  get maxHeldBytes(): number {
    return this.#prefix.length + MAX_MARKER_BODY;
  }

  push(chunk: Buffer): ScanResult {
    const out: Buffer[] = [];
    const markers: Marker[] = [];
    const prefix = this.#prefix;
    // Start of the plain output not yet emitted, and where the held candidate starts in this chunk
    // (-1: it was carried over from an earlier chunk). A candidate that fails inside the chunk it started
    // in simply stays part of the plain run: no copy, no allocation.
    let plainFrom = 0;
    let candFrom = this.#matched > 0 ? -1 : 0;
    const fail = (at: number) => {
      if (candFrom === -1) {
        out.push(this.#release());
        plainFrom = at;
      } else {
        this.#matched = 0;
        this.#bodyLength = 0;
      }
    };
    let i = 0;
    while (i < chunk.length) {
      if (this.#matched === 0) {
        const at = chunk.indexOf(SEP, i);
        this.#examined += (at === -1 ? chunk.length : at + 1) - i;
        if (at === -1) break;
        this.#matched = 1;
        candFrom = at;
        i = at + 1;
        continue;
      }
      const b = chunk[i] as number;
      this.#examined++;
      if (this.#matched < prefix.length) {
        if (b === prefix[this.#matched]) {
          this.#matched++;
          i++;
        } else {
          // Not a marker: what was held is output; this byte is looked at again as plain output.
          fail(i);
        }
        continue;
      }
      if (b === SEP) {
        const marker = parseBody(this.#body.subarray(0, this.#bodyLength));
        if (marker) {
          markers.push(marker);
          if (candFrom > plainFrom) out.push(chunk.subarray(plainFrom, candFrom));
          this.#matched = 0;
          this.#bodyLength = 0;
          plainFrom = i + 1;
        } else {
          // Malformed body: released as output; this separator opens the next candidate.
          fail(i);
          this.#matched = 1;
          candFrom = i;
        }
        i++;
      } else if (this.#bodyLength < MAX_MARKER_BODY) {
        this.#body[this.#bodyLength++] = b;
        i++;
      } else {
        fail(i);
      }
    }
    const plainTo = this.#matched === 0 ? chunk.length : candFrom;
    if (plainTo > plainFrom) out.push(chunk.subarray(plainFrom, plainTo));
    return { data: out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out), markers };
  }

  /** Whatever is held back when the stream ends. */
  flush(): Buffer {
    return this.#release();
  }

  /** The held candidate as output (a copy: the body buffer is reused), and back to plain output. */
  #release(): Buffer {
    const held = Buffer.concat([
      this.#prefix.subarray(0, this.#matched),
      this.#body.subarray(0, this.#bodyLength),
    ]);
    this.#matched = 0;
    this.#bodyLength = 0;
    return held;
  }
}

/** `C:<code>` or `R:<code>`, code 0-999. */
function parseBody(body: Buffer): Marker | null {
  if (body.length < 3 || body[1] !== 0x3a) return null;
  const phase = body[0] === 0x43 ? 'C' : body[0] === 0x52 ? 'R' : null;
  if (!phase) return null;
  let code = 0;
  for (let k = 2; k < body.length; k++) {
    const d = (body[k] as number) - 0x30;
    if (d < 0 || d > 9) return null;
    code = code * 10 + d;
  }
  return { phase, code };
}
