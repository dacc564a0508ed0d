/**
 * The output channel under adversarial input, pure: the marker scanner's work is linear in the input and
 * what it holds is bounded, whatever the program writes (forged prefixes, unterminated candidates, floods
 * of separators); every raw byte is charged; a forged marker never restarts a phase's timer.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Marker, StreamName } from '../src/docker/stream.ts';
import { DemuxParser, MAX_MARKER_BODY, MarkerScanner } from '../src/docker/stream.ts';
import { OutputAccount } from '../src/runner/output.ts';
import { PhaseTimers } from '../src/runner/phases.ts';

const NONCE = 'a1b2c3d4e5f6a1b2c3d4e5f6';
const PREFIX = `\x1fAL:${NONCE}:`;

/** Feeds the input in chunks; returns output, markers, work and the largest hold seen. */
function scan(input: Buffer, chunk = 4096) {
  const s = new MarkerScanner(NONCE);
  const out: Buffer[] = [];
  const markers: Marker[] = [];
  let maxHeld = 0;
  for (let i = 0; i < input.length; i += chunk) {
    const r = s.push(input.subarray(i, i + chunk));
    out.push(r.data);
    markers.push(...r.markers);
    maxHeld = Math.max(maxHeld, s.heldBytes);
  }
  out.push(s.flush());
  return { output: Buffer.concat(out), markers, examined: s.bytesExamined, maxHeld, bound: s.maxHeldBytes };
}

/** The attacks: a forged prefix then endless output, prefixes back to back, separators only, near-misses. */
const ATTACKS: Record<string, (n: number) => Buffer> = {
  'forged prefix, then a flood': (n) => Buffer.concat([Buffer.from(PREFIX), Buffer.alloc(n, 'x')]),
  'forged prefix repeated': (n) => Buffer.from(PREFIX.repeat(Math.ceil(n / PREFIX.length))).subarray(0, n),
  'separators only': (n) => Buffer.alloc(n, 0x1f),
  'prefix missing its last byte, repeated': (n) =>
    Buffer.from(PREFIX.slice(0, -1).repeat(Math.ceil(n / PREFIX.length))).subarray(0, n),
  'prefix + a body one byte too long': (n) =>
    Buffer.from(`${PREFIX}R:2555`.repeat(Math.ceil(n / (PREFIX.length + 6)))).subarray(0, n),
};

describe('MarkerScanner under attack', () => {
  for (const [name, make] of Object.entries(ATTACKS)) {
    it(`${name}: bounded hold, linear work, every byte comes out`, () => {
      const sizes = [64 * 1024, 256 * 1024, 1024 * 1024];
      const work = sizes.map((n) => {
        const input = make(n);
        const r = scan(input);
        expect(r.maxHeld).toBeLessThanOrEqual(r.bound);
        expect(r.bound).toBe(PREFIX.length + MAX_MARKER_BODY);
        // Not a marker: released as output, byte for byte.
        expect(r.markers).toEqual([]);
        expect(r.output.equals(input)).toBe(true);
        return r.examined / n;
      });
      // At most two looks per byte at every size: the work per byte does not grow with the input.
      for (const perByte of work) expect(perByte).toBeLessThanOrEqual(2);
    });
  }

  it('stays linear when the attack arrives one byte at a time', () => {
    const input = ATTACKS['forged prefix, then a flood']?.(20_000) ?? Buffer.alloc(0);
    const r = scan(input, 1);
    expect(r.maxHeld).toBeLessThanOrEqual(r.bound);
    expect(r.examined).toBeLessThanOrEqual(2 * input.length);
    expect(r.output.equals(input)).toBe(true);
  });

  it('still finds real markers between attacks, split anywhere', () => {
    const input = Buffer.from(
      `${PREFIX}R:25${'\x1f'.repeat(3)}out${PREFIX}C:0\x1fmid${PREFIX}X:1\x1f${PREFIX}R:1000\x1fend${PREFIX}R:7\x1f`,
    );
    for (const chunk of [1, 2, 3, 7, input.length]) {
      const r = scan(input, chunk);
      expect(r.markers).toEqual([
        { phase: 'R', code: 25 },
        { phase: 'C', code: 0 },
        { phase: 'R', code: 7 },
      ]);
      expect(r.output.toString()).toBe(`\x1f\x1foutmid${PREFIX}X:1\x1f${PREFIX}R:1000\x1fend`);
    }
  });

  it('strips markers split across chunks and keeps the output around them', () => {
    const marker = `\x1fAL:${NONCE}:R:7\x1f`;
    const r = scan(Buffer.from(`hello\x1fworld${marker}tail`), 3);
    expect(r.output.toString()).toBe('hello\x1fworldtail');
    expect(r.markers).toEqual([{ phase: 'R', code: 7 }]);
  });
});

describe('DemuxParser', () => {
  const frame = (t: number, payload: Buffer) => {
    const h = Buffer.alloc(8);
    h[0] = t;
    h.writeUInt32BE(payload.length, 4);
    return Buffer.concat([h, payload]);
  };

  it('passes a large frame on as it arrives instead of gathering it (no quadratic concat)', () => {
    const payload = Buffer.alloc(4 * 1024 * 1024, 'y');
    const all = frame(1, payload);
    const pieces: number[] = [];
    const p = new DemuxParser((_s, d) => pieces.push(d.length));
    for (let i = 0; i < all.length; i += 16 * 1024) p.push(all.subarray(i, i + 16 * 1024));
    // Each incoming chunk is passed on at once: nothing waits for the frame to complete.
    expect(pieces.length).toBeGreaterThan(250);
    expect(Math.max(...pieces)).toBeLessThanOrEqual(16 * 1024);
    expect(pieces.reduce((a, b) => a + b, 0)).toBe(payload.length);
  });

  it('splits interleaved frames across any chunk boundary', () => {
    const all = Buffer.concat([
      frame(1, Buffer.from('out')),
      frame(2, Buffer.from('err')),
      frame(1, Buffer.alloc(0)),
      frame(1, Buffer.from('more')),
    ]);
    for (const step of [1, 5, 9, all.length]) {
      const got: Record<StreamName, string> = { stdout: '', stderr: '' };
      const p = new DemuxParser((stream, d) => {
        got[stream] += d.toString();
      });
      for (let i = 0; i < all.length; i += step) p.push(all.subarray(i, i + step));
      expect(got).toEqual({ stdout: 'outmore', stderr: 'err' });
    }
  });
});

describe('OutputAccount', () => {
  const sink = () => {
    const got: Record<StreamName, string> = { stdout: '', stderr: '' };
    const output = (s: StreamName, t: string) => {
      got[s] += t;
    };
    return { got, sink: { output } };
  };

  it('charges raw bytes even when nothing is relayed (held or stripped bytes count)', () => {
    const { got, sink: s } = sink();
    const acc = new OutputAccount(1024, NONCE.length, s);
    let open = true;
    // A program whose bytes are all swallowed as markers still reaches its limit.
    for (let i = 0; i < 100 && open; i++) open = acc.take('stdout', Buffer.alloc(0), 64);
    expect(open).toBe(false);
    expect(acc.charged().stdout).toBeLessThanOrEqual(1024 + 2 * (PREFIX.length + MAX_MARKER_BODY + 1) + 64);
    expect(got.stdout).toBe('');
    expect(acc.result().stdoutTruncated).toBe(true);
  });

  it('relays at most the limit and lets exactly the limit plus the wrapper markers through', () => {
    const { got, sink: s } = sink();
    const acc = new OutputAccount(1000, NONCE.length, s);
    expect(acc.take('stdout', Buffer.alloc(1000, 'a'), 1000 + 2 * (PREFIX.length + 6))).toBe(true);
    expect(acc.take('stdout', Buffer.from('b'), 1)).toBe(false);
    expect(got.stdout).toBe('a'.repeat(1000));
    expect(acc.result().stdout).toHaveLength(1000);
  });
});

describe('PhaseTimers', () => {
  it('ignores a forged compile marker during the run: no timer restart, no extra time', () => {
    vi.useFakeTimers();
    try {
      const events: string[] = [];
      const t = new PhaseTimers({
        timedOut: (p) => events.push(`timeout:${p}`),
        completed: (p, c) => events.push(`done:${p}:${c}`),
      });
      t.start('run', 1000);
      vi.advanceTimersByTime(900);
      t.marker('stdout', { phase: 'C', code: 0 });
      t.marker('stderr', { phase: 'C', code: 0 });
      vi.advanceTimersByTime(100);
      expect(events).toEqual(['timeout:run']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('completes a phase only when both streams carry its marker', () => {
    const events: string[] = [];
    const t = new PhaseTimers({
      timedOut: (p) => events.push(`timeout:${p}`),
      completed: (p, c) => events.push(`done:${p}:${c}`),
    });
    t.start('compile', 60_000);
    t.marker('stdout', { phase: 'C', code: 0 });
    t.marker('stdout', { phase: 'C', code: 0 });
    t.marker('stdout', { phase: 'R', code: 0 });
    t.marker('stderr', { phase: 'R', code: 0 });
    expect(events).toEqual([]);
    t.marker('stderr', { phase: 'C', code: 0 });
    expect(events).toEqual(['done:compile:0']);
    t.stop();
  });
});
