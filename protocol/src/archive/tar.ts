import { Gunzip } from 'fflate';
import { ArchiveRejected } from './limits.ts';
import type { ManifestBuilder, ManifestEntry } from './manifest.ts';
import { concat } from './zip.ts';

/**
 * A streaming tar reader (ustar, GNU long names, pax `path`), optionally behind gunzip. Bytes are
 * pushed in; headers are checked (checksum, octal size) as they complete and entry data is charged
 * as it passes, so limits stop the read early. Only regular files and directories are accepted:
 * links, devices and FIFOs are refused. The end-of-archive marker is required, so a truncated
 * archive is never mistaken for a complete one.
 */

const BLOCK = 512;
/** Input fed to gunzip at a time: bounds what one push can unpack (about 1 KiB × 1032). */
const SLICE = 1024;
/** pax and GNU long-name records are metadata: a few KiB at most in real archives. */
const MAX_META_BYTES = 64 * 1024;
const text = new TextDecoder();

const corrupt = (why: string) => new ArchiveRejected('corrupt', `the tar archive is corrupt: ${why}`);

type Pending =
  | { kind: 'header' }
  | { kind: 'data'; entry: ManifestEntry | undefined; left: number; pad: number; chunks: Uint8Array[] }
  | { kind: 'meta'; type: 'L' | 'x' | 'g'; left: number; pad: number; chunks: Uint8Array[] }
  | { kind: 'end' };

export class TarReader {
  readonly #manifest: ManifestBuilder;
  readonly #onFile: ((path: string, content: Uint8Array) => void) | undefined;
  #state: Pending = { kind: 'header' };
  #header = new Uint8Array(BLOCK);
  #headerFill = 0;
  /** Set by a GNU `L` or pax `x` record: the name of the next entry. */
  #longName: string | undefined;
  #headers = 0;
  #zeroBlocks = 0;

  constructor(manifest: ManifestBuilder, onFile?: (path: string, content: Uint8Array) => void) {
    this.#manifest = manifest;
    this.#onFile = onFile;
  }

  get ended(): boolean {
    return this.#state.kind === 'end';
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && this.#state.kind !== 'end') {
      const state = this.#state;
      if (state.kind === 'header') {
        const n = Math.min(BLOCK - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + n), this.#headerFill);
        this.#headerFill += n;
        at += n;
        if (this.#headerFill === BLOCK) {
          this.#headerFill = 0;
          this.#onHeader(this.#header);
        }
        continue;
      }
      const n = Math.min(state.left + state.pad, chunk.length - at);
      const dataBytes = Math.min(n, state.left);
      if (dataBytes > 0) {
        const piece = chunk.subarray(at, at + dataBytes);
        if (state.kind === 'data') {
          if (state.entry?.type === 'file') {
            this.#manifest.charge(dataBytes);
            if (this.#onFile) state.chunks.push(piece.slice());
          }
        } else {
          state.chunks.push(piece.slice());
        }
      }
      state.left -= dataBytes;
      state.pad -= n - dataBytes;
      at += n;
      if (state.left === 0 && state.pad === 0) this.#endOfData(state);
    }
  }

  /** At the end of the input: anything but a finished archive is truncated. */
  finish(): void {
    if (this.#state.kind !== 'end') throw corrupt('truncated (no end-of-archive marker)');
  }

  #onHeader(h: Uint8Array): void {
    if (h.every((b) => b === 0)) {
      // Two zero blocks end the archive; whatever follows is not read.
      this.#zeroBlocks += 1;
      if (this.#zeroBlocks === 2) this.#state = { kind: 'end' };
      return;
    }
    if (this.#zeroBlocks > 0) throw corrupt('a header follows an end-of-archive block');
    this.#headers += 1;
    // Metadata records count too, so a stream of pax headers cannot run on forever.
    if (this.#headers > 3 * this.#manifest.maxEntries + 3)
      this.#manifest.checkCount(Number.POSITIVE_INFINITY);
    verifyChecksum(h);
    if ((h[124] as number) & 0x80)
      throw new ArchiveRejected('unsupported', 'base-256 tar sizes are not supported');
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] as number);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === 'L' || type === 'x' || type === 'g') {
      if (size > MAX_META_BYTES)
        throw new ArchiveRejected('path_too_long', 'a tar metadata record is too long');
      this.#state = { kind: 'meta', type, left: size, pad, chunks: [] };
      if (size + pad === 0) this.#endOfData(this.#state);
      return;
    }
    if (type === '1' || type === '2' || type === 'K') {
      throw new ArchiveRejected('link', 'the archive holds a symbolic or hard link');
    }
    if (type === '3' || type === '4' || type === '6') {
      throw new ArchiveRejected('special_file', 'the archive holds a device or FIFO');
    }
    const isFile = type === '0' || type === '\0' || type === '7';
    if (!isFile && type !== '5')
      throw new ArchiveRejected('unsupported', `tar entry type "${type}" is not supported`);
    const name = this.#longName ?? headerName(h);
    this.#longName = undefined;
    const entry = this.#manifest.add(name, isFile ? 'file' : 'dir', isFile ? size : 0);
    this.#state = { kind: 'data', entry, left: size, pad, chunks: [] };
    if (size + pad === 0) this.#endOfData(this.#state);
  }

  #endOfData(state: Extract<Pending, { kind: 'data' | 'meta' }>): void {
    this.#state = { kind: 'header' };
    if (state.kind === 'data') {
      if (this.#onFile && state.entry?.type === 'file') {
        this.#onFile(state.entry.path, concat(state.chunks, state.entry.size));
      }
      return;
    }
    const body = concat(
      state.chunks,
      state.chunks.reduce((n, c) => n + c.length, 0),
    );
    if (state.type === 'L') this.#longName = text.decode(body).replace(/\0.*$/s, '');
    else if (state.type === 'x') {
      const path = paxPath(body);
      if (path !== undefined) this.#longName = path;
    }
  }
}

export function readTar(
  bytes: Uint8Array,
  gzipped: boolean,
  manifest: ManifestBuilder,
  onFile?: (path: string, content: Uint8Array) => void,
): void {
  const tar = new TarReader(manifest, onFile);
  if (!gzipped) {
    tar.push(bytes);
    tar.finish();
    return;
  }
  const gunzip = new Gunzip((chunk) => {
    if (!tar.ended) tar.push(chunk);
  });
  try {
    for (let p = 0; p < bytes.length && !tar.ended; p += SLICE) {
      gunzip.push(bytes.subarray(p, p + SLICE), p + SLICE >= bytes.length);
    }
    if (bytes.length === 0) gunzip.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof ArchiveRejected) throw err;
    throw new ArchiveRejected('corrupt', 'the gzip stream is corrupt or truncated');
  }
  tar.finish();
}

function verifyChecksum(h: Uint8Array): void {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
  if (octal(h, 148, 8) !== sum) throw corrupt('header checksum mismatch');
}

/** An octal field: digits, then NUL or spaces; anything else is corrupt. */
function octal(h: Uint8Array, at: number, length: number): number {
  const field = String.fromCharCode(...h.subarray(at, at + length))
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (!/^[0-7]*$/.test(field)) throw corrupt('bad octal field');
  return field === '' ? 0 : Number.parseInt(field, 8);
}

function cString(h: Uint8Array, at: number, length: number): string {
  const field = h.subarray(at, at + length);
  const nul = field.indexOf(0);
  return text.decode(nul === -1 ? field : field.subarray(0, nul));
}

function headerName(h: Uint8Array): string {
  const name = cString(h, 0, 100);
  const ustar = cString(h, 257, 6).startsWith('ustar');
  const prefix = ustar ? cString(h, 345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** The `path` record of a pax header ("<len> path=<value>\n", lengths in bytes), if any. */
function paxPath(body: Uint8Array): string | undefined {
  let found: string | undefined;
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const length = space === -1 ? Number.NaN : Number(String.fromCharCode(...body.subarray(at, space)));
    if (!Number.isSafeInteger(length) || length <= space - at + 1 || at + length > body.length) {
      throw corrupt('bad pax record');
    }
    const record = text.decode(body.subarray(space + 1, at + length - 1));
    if (record.startsWith('path=')) found = record.slice(5);
    if (record.startsWith('size=')) throw new ArchiveRejected('unsupported', 'pax sizes are not supported');
    at += length;
  }
  return found;
}
