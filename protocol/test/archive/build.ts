/**
 * Archive writers for the tests, byte by byte, so a test can build what no well-behaved tool would:
 * lying sizes, overlapping entries, links, devices, raw non-UTF-8 names.
 */
import { deflateSync } from 'fflate';
import { crc32 } from '../../src/archive/crc32.ts';

const enc = new TextEncoder();
const bytesOf = (v: string | Uint8Array) => (typeof v === 'string' ? enc.encode(v) : v);

export interface ZipEntry {
  name: string | Uint8Array;
  data?: string | Uint8Array;
  /** Unix mode with type bits (default regular file 0o100644, or 0o040755 for names ending in /). */
  mode?: number;
  deflate?: boolean;
  /** Lies written into the headers. */
  declaredSize?: number;
  crc?: number;
  flags?: number;
}

export function zip(entries: readonly ZipEntry[], options: { sameLocal?: boolean } = {}): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  let firstOffset = 0;
  for (const [i, e] of entries.entries()) {
    const name = bytesOf(e.name);
    const data = bytesOf(e.data ?? '');
    const deflate = e.deflate ?? true;
    const body = deflate ? deflateSync(data) : data;
    const crc = e.crc ?? crc32(data);
    const size = e.declaredSize ?? data.length;
    const flags = e.flags ?? 0x800;
    const method = deflate ? 8 : 0;
    const local = new Uint8Array(30 + name.length + body.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, flags, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    local.set(body, 30 + name.length);
    const isDir = typeof e.name === 'string' && e.name.endsWith('/');
    const mode = e.mode ?? (isDir ? 0o040755 : 0o100644);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, (3 << 8) | 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(38, (mode << 16) >>> 0, true);
    if (i === 0) firstOffset = offset;
    cv.setUint32(42, options.sameLocal ? firstOffset : offset, true);
    central.set(name, 46);
    if (!options.sameLocal || i === 0) {
      locals.push(local);
      offset += local.length;
    }
    centrals.push(central);
  }
  const cdSize = centrals.reduce((n, c) => n + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return join([...locals, ...centrals, eocd]);
}

export interface TarEntry {
  name: string | Uint8Array;
  /** '0' file, '5' dir, '1' hard link, '2' symlink, '3'/'4' devices, '6' FIFO, 'L' GNU long name, 'x' pax. */
  type?: string;
  data?: string | Uint8Array;
  prefix?: string;
  linkname?: string;
}

export function tarHeader(e: TarEntry, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (v: string | Uint8Array, at: number, length: number) =>
    h.set(bytesOf(v).subarray(0, length), at);
  put(e.name, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124, 12);
  put('00000000000\0', 136, 12);
  put(e.type ?? '0', 156, 1);
  put(e.linkname ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(e.prefix ?? '', 345, 155);
  h.fill(0x20, 148, 156);
  const sum = h.reduce((n, b) => n + b, 0);
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

export function tar(entries: readonly TarEntry[], options: { end?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = bytesOf(e.data ?? '');
    parts.push(tarHeader(e, data.length), data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  if (options.end ?? true) parts.push(new Uint8Array(1024));
  return join(parts);
}

/** A pax record: "<len> key=value\n", the length counting itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = enc.encode(body).length + 1;
  while (String(length).length + enc.encode(body).length !== length) length += 1;
  return `${length}${body}`;
}

export function join(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
