import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunResultSchema, RunStatusSchema } from '../src/index.ts';
import {
  isRunActive,
  RUN_ACTIVE_STATUSES,
  RUN_STATUSES,
  RUN_VIEW_STATUSES,
  TASK_END_STATUSES,
  TASK_STATUSES,
} from '../src/statuses.ts';

describe('@airlock/protocol/statuses', () => {
  // The console imports this module under a CSP without 'unsafe-eval': zod (whose load probes
  // `new Function`) or anything that imports it must never come in through here.
  it('imports nothing, so the console can load it', () => {
    const text = readFileSync(join(import.meta.dirname, '../src/statuses.ts'), 'utf8');
    expect(text).not.toMatch(/^\s*(import|export\s.*\sfrom)\s/m);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8'));
    expect(pkg.exports['./statuses']).toBe('./src/statuses.ts');
  });

  it('is what the result schema accepts: every final status, no active one', () => {
    expect(RunStatusSchema.options).toEqual([...RUN_STATUSES]);
    for (const status of RUN_ACTIVE_STATUSES) expect(RunStatusSchema.safeParse(status).success).toBe(false);
    expect(RunResultSchema.shape.status).toBe(RunStatusSchema);
  });

  it('a stored run is active (cancellable) before its result, and only then', () => {
    expect(RUN_VIEW_STATUSES.filter(isRunActive)).toEqual(['queued', 'running']);
    expect(new Set(RUN_VIEW_STATUSES).size).toBe(RUN_VIEW_STATUSES.length);
    expect(TASK_STATUSES.filter((s) => !(TASK_END_STATUSES as readonly string[]).includes(s))).toEqual([
      'running',
    ]);
  });
});
