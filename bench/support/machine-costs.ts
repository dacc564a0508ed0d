/**
 * What this machine charges for what a container life is made of: starting a process and touching
 * fresh memory. Measured in the bench's own process before the stack starts, and printed, so that
 * sittings on different machines are told apart: on 2026-12-02 a machine of the same kind took 15–19 µs
 * for a page's first touch and close to a core-second of CPU per container life, 2.5–3× the machine
 * before it (docs/sandbox-host.md, "2026-12-02 15:01–16:40 UTC").
 */
import { spawnSync } from 'node:child_process';
import { quantile } from './quantile.ts';

const STARTS = 21;
const TOUCH_BYTES = 64 << 20;

export interface MachineCosts {
  /** Median of `/bin/true` started from Node (fork, exec, exit, reaped). */
  processStartMs: number;
  /** Writing 64 MiB of fresh memory: every page's first touch. */
  firstTouchMs: number;
  /** Writing the same 64 MiB again: the copy alone, for scale. */
  touchAgainMs: number;
}

export function measureMachineCosts(): MachineCosts {
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const t0 = performance.now();
    spawnSync('/bin/true');
    starts.push(performance.now() - t0);
  }
  // Not from Node's buffer pool: at this size the allocator maps new pages, none touched yet.
  const fresh = Buffer.allocUnsafeSlow(TOUCH_BYTES);
  let t0 = performance.now();
  fresh.fill(1);
  const firstTouchMs = performance.now() - t0;
  t0 = performance.now();
  fresh.fill(2);
  return {
    processStartMs: quantile(starts, 0.5),
    firstTouchMs,
    touchAgainMs: performance.now() - t0,
  };
}

export const machineCostsLine = (m: MachineCosts) =>
  `machine: a process start ${m.processStartMs.toFixed(1)} ms (median of ${STARTS}), 64 MiB of fresh memory written in ${m.firstTouchMs.toFixed(0)} ms (again: ${m.touchAgainMs.toFixed(0)} ms)`;
