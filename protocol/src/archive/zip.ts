import { Inflate } from 'fflate';
import { crc32 } from './crc32.ts';
import { ArchiveRejected } from './limits.ts';
import type { EntryType, ManifestBuilder } from './manifest.ts';

/**
 * A zip reader over the archive's bytes (bounded by the upload limit; what unpacks is bounded by the
 * manifest's limits). The central directory is the authority; each entry's local header must name
 * the same file, and entries may not overlap: overlapping entries are how non-recursive zip bombs
 * multiply one compressed stream. Inflating is streamed in small slices, each byte charged as it
 * comes out, and checked against the declared size and CRC-32. Stored and deflated entries only;
 * no encryption, no zip64, one disk.
 */

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Input fed to the inflater at a time: the most one push can unpack is about 1 KiB × 1032. */
const SLICE = 1024;
const S_IFMT = 0o170000;
/** Unix file types (st_mode & S_IFMT). A Map: number-keyed object literals get "simplified" by tools. */
const UNIX_TYPES = new Map<number, 'file' | 'dir' | 'link' | 'special'>([
  [0o100000, 'file'],
  [0o040000, 'dir'],
  [0o120000, 'link'],
  [0o020000, 'special'],
  [0o060000, 'special'],
  [0o010000, 'special'],
  [0o140000, 'special'],
]);
const names = new TextDecoder();

interface CentralEntry {
  name: string;
  nameBytes: Uint8Array;
  type: EntryType;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const corrupt = (why: string) => new ArchiveRejected('corrupt', `the zip archive is corrupt: ${why}`);

export function readZip(
  bytes: Uint8Array,
  manifest: ManifestBuilder,
  onFile?: (path: string, content: Uint8Array) => void,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const eocd = findEndOfCentralDirectory(bytes, view);
  const count = u16(eocd + 10);
  const cdSize = u32(eocd + 12);
  const cdOffset = u32(eocd + 16);
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0 || u16(eocd + 8) !== count) {
    throw new ArchiveRejected('unsupported', 'multi-disk zip archives are not supported');
  }
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    throw new ArchiveRejected('unsupported', 'zip64 archives are not supported');
  }
  // Cheapest refusal first: a zip declares its entry count before any entry is read.
  manifest.checkCount(count);
  if (cdOffset + cdSize > eocd) throw corrupt('the central directory is out of bounds');

  const central: CentralEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || u32(at) !== CENTRAL) throw corrupt('bad central directory entry');
    const madeBy = u16(at + 4) >> 8;
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const nameLength = u16(at + 28);
    const next = at + 46 + nameLength + u16(at + 30) + u16(at + 32);
    if (next > cdOffset + cdSize) throw corrupt('bad central directory entry');
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    const name = names.decode(nameBytes);
    if (flags & 0x41) throw new ArchiveRejected('unsupported', 'encrypted zip entries are not supported');
    if (method !== 0 && method !== 8) {
      throw new ArchiveRejected('unsupported', 'only stored and deflated zip entries are supported');
    }
    const compressedSize = u32(at + 20);
    const size = u32(at + 24);
    if (compressedSize === 0xffffffff || size === 0xffffffff) {
      throw new ArchiveRejected('unsupported', 'zip64 entries are not supported');
    }
    central.push({
      name,
      nameBytes,
      type: entryType(name, madeBy, u32(at + 38)),
      method,
      crc: u32(at + 16),
      compressedSize,
      size,
      localOffset: u32(at + 42),
    });
    at = next;
  }

  // Data ranges, in file order, may not overlap one another or the central directory.
  const ranges = central.map((e) => ({ e, ...dataRange(bytes, view, e, cdOffset) }));
  const byOffset = [...ranges].sort((a, b) => a.e.localOffset - b.e.localOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    const cur = byOffset[i];
    if (prev && cur && cur.e.localOffset < prev.end) throw corrupt('entries overlap');
  }

  for (const { e, start, end } of ranges) {
    const added = manifest.add(e.name, e.type, e.size);
    if (e.type === 'dir' || !added) continue;
    const content = unpack(bytes.subarray(start, end), e, manifest, onFile !== undefined);
    if (onFile && content) onFile(added.path, content);
  }
}

/** The last end-of-central-directory record (its comment may be up to 64 KiB). */
function findEndOfCentralDirectory(bytes: Uint8Array, view: DataView): number {
  const last = bytes.length - 22;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
    if (view.getUint32(at, true) === EOCD && at + 22 + view.getUint16(at + 20, true) === bytes.length)
      return at;
  }
  throw corrupt('no end of central directory (not a zip, or truncated)');
}

function entryType(name: string, madeBy: number, external: number): EntryType {
  // Unix (3) and macOS (19) store the file mode in the upper half of the external attributes.
  const mode = madeBy === 3 || madeBy === 19 ? (external >>> 16) & S_IFMT : 0;
  const kind = mode === 0 ? undefined : UNIX_TYPES.get(mode);
  if (kind === 'link') throw new ArchiveRejected('link', 'the archive holds a symbolic link');
  if (kind === 'special')
    throw new ArchiveRejected('special_file', 'the archive holds a device, FIFO or socket');
  if (mode !== 0 && kind === undefined)
    throw new ArchiveRejected('unsupported', 'an entry has an unknown file type');
  if (kind === 'dir' || name.endsWith('/') || (mode === 0 && external & 0x10)) return 'dir';
  return 'file';
}

function dataRange(bytes: Uint8Array, view: DataView, e: CentralEntry, cdOffset: number) {
  const at = e.localOffset;
  if (at + 30 > cdOffset || view.getUint32(at, true) !== LOCAL) throw corrupt('bad local header');
  const nameLength = view.getUint16(at + 26, true);
  const start = at + 30 + nameLength + view.getUint16(at + 28, true);
  const end = start + e.compressedSize;
  if (end > cdOffset) throw corrupt('entry data runs past the central directory');
  const local = bytes.subarray(at + 30, at + 30 + nameLength);
  if (local.length !== e.nameBytes.length || local.some((b, i) => b !== e.nameBytes[i])) {
    throw corrupt('a local header names another file than the central directory');
  }
  return { start, end };
}

/** Inflates (or copies) one entry, charging every byte; the content only when `keep`. */
function unpack(
  data: Uint8Array,
  e: CentralEntry,
  manifest: ManifestBuilder,
  keep: boolean,
): Uint8Array | undefined {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let crc = 0;
  const take = (chunk: Uint8Array) => {
    size += chunk.length;
    if (size > e.size) throw corrupt('an entry unpacks to more than its declared size');
    manifest.charge(chunk.length);
    crc = crc32(chunk, crc);
    // fflate may reuse its output buffer: keep a copy.
    if (keep) chunks.push(chunk.slice());
  };
  if (e.method === 0) {
    if (data.length !== e.size) throw corrupt('a stored entry has the wrong size');
    take(data);
  } else {
    const inflater = new Inflate((chunk) => take(chunk));
    try {
      for (let p = 0; p < data.length; p += SLICE) {
        inflater.push(data.subarray(p, p + SLICE), p + SLICE >= data.length);
      }
      if (data.length === 0) inflater.push(new Uint8Array(0), true);
    } catch (err) {
      if (err instanceof ArchiveRejected) throw err;
      throw corrupt('bad deflate data');
    }
  }
  if (size !== e.size) throw corrupt('an entry unpacks to less than its declared size');
  if (crc !== e.crc) throw corrupt('CRC-32 mismatch');
  return keep ? concat(chunks, size) : undefined;
}

export function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
