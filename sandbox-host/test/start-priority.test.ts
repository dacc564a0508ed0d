import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StartPriority } from '../src/runner/start-priority.ts';

describe('a run’s start lifts the idle parent (runner/start-priority.ts)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const setup = (windowMs = 200) => {
    const writes: boolean[] = [];
    const errors: unknown[] = [];
    const priority = new StartPriority({
      windowMs,
      setParentIdle: (idle) => {
        writes.push(idle);
      },
      onError: (err) => errors.push(err),
    });
    return { priority, writes, errors };
  };

  it('one start: ordinary at once, idle again when the window ends', () => {
    const { priority, writes } = setup();
    priority.begin();
    expect(writes).toEqual([false]);
    expect(priority.open).toBe(1);
    vi.advanceTimersByTime(199);
    expect(writes).toEqual([false]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual([false, true]);
    expect(priority.open).toBe(0);
  });

  it('a run that ends first closes its window then; closing twice counts once', () => {
    const { priority, writes } = setup();
    const end = priority.begin();
    end();
    end();
    expect(writes).toEqual([false, true]);
    vi.advanceTimersByTime(1000);
    expect(writes).toEqual([false, true]);
    expect(priority.open).toBe(0);
  });

  it('overlapping starts: one write each way, idle only after the last window', () => {
    const { priority, writes } = setup();
    const endA = priority.begin();
    vi.advanceTimersByTime(100);
    priority.begin();
    endA();
    expect(writes).toEqual([false]);
    vi.advanceTimersByTime(199);
    expect(writes).toEqual([false]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual([false, true]);
  });

  it('0 ms or no writer: nothing is written', () => {
    const off = setup(0);
    off.priority.begin()();
    expect(off.writes).toEqual([]);
    const none = new StartPriority({ windowMs: 200, setParentIdle: null, onError: () => undefined });
    none.begin()();
    expect(none.open).toBe(0);
  });

  it('a write that fails is reported, and the count stays right', () => {
    const errors: unknown[] = [];
    const priority = new StartPriority({
      windowMs: 200,
      setParentIdle: () => {
        throw new Error('EACCES');
      },
      onError: (err) => errors.push(err),
    });
    const end = priority.begin();
    end();
    expect(errors).toHaveLength(2);
    expect(priority.open).toBe(0);
  });
});
