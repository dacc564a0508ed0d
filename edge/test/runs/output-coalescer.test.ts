/**
 * The run output coalescer (issue 10): back-to-back output frames become one, and nothing is held
 * longer than the window. The timers are a hand-driven fake, so every step is exact.
 */
import { describe, expect, it } from 'vitest';
import {
  type CoalescerTimers,
  type OutputChunk,
  OutputCoalescer,
} from '../../src/domain/runs/output-coalescer.ts';

/** Timers that only fire when the test says so. */
function fakeTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const timers: CoalescerTimers = {
    set(fn, ms) {
      const id = next++;
      pending.set(id, { fn, ms });
      return id;
    },
    clear(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    get armed() {
      return [...pending.values()].map((t) => t.ms);
    },
    /** Fires every armed timer once (the window ends). */
    fire() {
      const due = [...pending.entries()];
      pending.clear();
      for (const [, t] of due) t.fn();
    },
  };
}

function setup(maxChars = 100) {
  const clock = fakeTimers();
  const out: OutputChunk[] = [];
  const c = new OutputCoalescer((chunk) => out.push(chunk), { windowMs: 20, maxChars, timers: clock.timers });
  return { clock, out, c };
}

describe('output coalescer', () => {
  it('emits the first output at once, without waiting for any timer', () => {
    const { clock, out, c } = setup();
    c.push({ type: 'stdout', data: 'hello\n' });
    expect(out).toEqual([{ type: 'stdout', data: 'hello\n' }]);
    // A window opened behind it, and nothing is held.
    expect(clock.armed).toEqual([20]);
    expect(c.heldChars).toBe(0);
  });

  it('merges output that arrives back to back and emits it when the window ends', () => {
    const { clock, out, c } = setup();
    c.push({ type: 'stdout', data: 'a' });
    c.push({ type: 'stdout', data: 'b' });
    c.push({ type: 'stdout', data: 'c' });
    expect(out).toEqual([{ type: 'stdout', data: 'a' }]);
    expect(c.heldChars).toBe(2);
    clock.fire();
    expect(out).toEqual([
      { type: 'stdout', data: 'a' },
      { type: 'stdout', data: 'bc' },
    ]);
    // Output kept coming, so the next window is open: more output is merged again.
    expect(clock.armed).toEqual([20]);
    c.push({ type: 'stdout', data: 'd' });
    expect(out).toHaveLength(2);
    clock.fire();
    expect(out.at(-1)).toEqual({ type: 'stdout', data: 'd' });
    // A window that ends with nothing held closes: the next output after the quiet spell is immediate.
    clock.fire();
    expect(clock.armed).toEqual([]);
    c.push({ type: 'stdout', data: 'e' });
    expect(out.at(-1)).toEqual({ type: 'stdout', data: 'e' });
  });

  it('emits at once when the held output reaches maxChars', () => {
    const { out, c } = setup(10);
    c.push({ type: 'stdout', data: 'first' });
    c.push({ type: 'stdout', data: '123456' });
    c.push({ type: 'stdout', data: '7890' });
    expect(out).toEqual([
      { type: 'stdout', data: 'first' },
      { type: 'stdout', data: '1234567890' },
    ]);
    expect(c.heldChars).toBe(0);
  });

  it("keeps stdout and stderr in the order they arrived: the other stream's output flushes", () => {
    const { clock, out, c } = setup();
    c.push({ type: 'stdout', data: 'o1' });
    c.push({ type: 'stdout', data: 'o2' });
    c.push({ type: 'stdout', data: 'o3' });
    c.push({ type: 'stderr', data: 'e1' });
    c.push({ type: 'stderr', data: 'e2' });
    c.push({ type: 'stdout', data: 'o4' });
    clock.fire();
    expect(out).toEqual([
      { type: 'stdout', data: 'o1' },
      { type: 'stdout', data: 'o2o3' },
      { type: 'stderr', data: 'e1e2' },
      { type: 'stdout', data: 'o4' },
    ]);
  });

  it('flush emits what is held, closes the window, and the next output is immediate', () => {
    const { clock, out, c } = setup();
    c.push({ type: 'stdout', data: 'x' });
    c.push({ type: 'stdout', data: 'y' });
    c.flush();
    expect(out).toEqual([
      { type: 'stdout', data: 'x' },
      { type: 'stdout', data: 'y' },
    ]);
    expect(clock.armed).toEqual([]);
    c.flush();
    expect(out).toHaveLength(2);
    c.push({ type: 'stderr', data: 'z' });
    expect(out.at(-1)).toEqual({ type: 'stderr', data: 'z' });
  });

  it('reassembles a flood byte for byte, in far fewer frames', () => {
    const { clock, out, c } = setup(64 * 1024);
    const chunks = Array.from({ length: 64 }, (_, i) => `${String(i).padStart(4, '0')}é😀`.repeat(2048));
    for (const [i, data] of chunks.entries()) {
      c.push({ type: 'stdout', data });
      if (i % 16 === 15) clock.fire();
    }
    c.flush();
    expect(out.map((f) => f.data).join('')).toBe(chunks.join(''));
    expect(out.every((f) => f.type === 'stdout')).toBe(true);
    expect(out.length).toBeLessThanOrEqual(16);
  });

  it('ignores empty output', () => {
    const { clock, out, c } = setup();
    c.push({ type: 'stdout', data: '' });
    expect(out).toEqual([]);
    expect(clock.armed).toEqual([]);
  });
});
