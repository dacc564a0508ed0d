/**
 * The rate-limit bucket of a client address (pure). IPv4 is keyed by the full address; IPv6 by its
 * first `v6PrefixBits` bits, because one subscriber usually holds a whole /64 (2^64 addresses
 * would otherwise be 2^64 buckets). An IPv4-mapped IPv6 address is its IPv4 address. Anything
 * unparsable shares one `invalid` bucket rather than getting a bucket per spelling.
 */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(text: string): string | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((n) => n <= 255) ? parts.join('.') : null;
}

/** The eight 16-bit groups of an IPv6 address, or null. */
function ipv6Groups(input: string): number[] | null {
  let text = input;
  // A trailing dotted quad (e.g. ::ffff:192.0.2.1) is the last two groups.
  const lastColon = text.lastIndexOf(':');
  const quad = ipv4(text.slice(lastColon + 1));
  if (quad) {
    const [a = 0, b = 0, c = 0, d = 0] = quad.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const left = parse(halves[0] ?? '');
  const right = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (![...left, ...right].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const explicit = left.length + right.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  const gap = halves.length === 2 ? 8 - explicit : 0;
  return [...left, ...Array.from({ length: gap }, () => '0'), ...right].map((g) => Number.parseInt(g, 16));
}

export function ipBucket(address: string, v6PrefixBits: number): string {
  const text = address.trim();
  const v4 = ipv4(text);
  if (v4) return v4;
  const groups = ipv6Groups(text.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  if (!groups) return 'invalid';
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const masked = groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, v6PrefixBits - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${masked.map((g) => g.toString(16)).join(':')}/${v6PrefixBits}`;
}
