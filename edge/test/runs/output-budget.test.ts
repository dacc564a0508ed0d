/**
 * The organization's output budget (issue 10: an output flood slowed every tenant's runs): the pure
 * decision and charge (domain/runs/output-budget.ts), and end to end through the real Worker and a real
 * sandbox host: runs are charged what they wrote, creation is refused (429 with Retry-After) once the
 * budget is spent, by /v1/runs, Piston's execute and an AI task's run alike, and another organization
 * is untouched.
 */
import { describe, expect, it } from 'vitest';
import {
  chargeOutput,
  EMPTY_OUTPUT_BUDGET,
  type OutputBudgetState,
  outputBudget,
} from '../../src/domain/runs/output-budget.ts';
import { errorOf, fetchApp, jsonInit } from '../helpers.ts';
import { mintKey } from '../piston/support.ts';
import { freshKey, programReply, script } from '../tasks/providers-script.ts';
import { ofType, postTask, storeKey, watchToEnd } from '../tasks/support.ts';
import { BASE, postRun, type RunView, registerUser } from './support.ts';

const RULE = { limit: 1000, windowMs: 60_000 };
const T0 = 1_700_000_000_000;

describe('output budget: decision and charge', () => {
  it('allows while less than the budget is used, refuses at it', () => {
    let state: OutputBudgetState = EMPTY_OUTPUT_BUDGET;
    expect(outputBudget(state, RULE, T0)).toMatchObject({ allowed: true, used: 0 });
    state = chargeOutput(state, RULE, T0, 999);
    expect(outputBudget(state, RULE, T0 + 1)).toMatchObject({ allowed: true, used: 999 });
    state = chargeOutput(state, RULE, T0 + 1, 1);
    const refused = outputBudget(state, RULE, T0 + 2);
    expect(refused).toMatchObject({ allowed: false, used: 1000, limit: 1000 });
    // Both charges fell in one bucket, which leaves the window a minute after its start.
    expect(refused.retryAfterMs).toBeGreaterThan(RULE.windowMs - 1000 - 2);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(RULE.windowMs);
    expect(outputBudget(state, RULE, T0 + RULE.windowMs)).toMatchObject({ allowed: true, used: 0 });
  });

  it('waits only until enough of the oldest output has left', () => {
    let state = chargeOutput(EMPTY_OUTPUT_BUDGET, RULE, T0, 600);
    state = chargeOutput(state, RULE, T0 + 30_000, 600);
    const refused = outputBudget(state, RULE, T0 + 40_000);
    expect(refused.allowed).toBe(false);
    // The first 600 leave at T0 + 60 s (its bucket starts at or before T0): then 600 < 1000.
    expect(refused.retryAfterMs).toBeLessThanOrEqual(20_000);
    expect(refused.retryAfterMs).toBeGreaterThan(20_000 - 1000);
    expect(outputBudget(state, RULE, T0 + 40_000 + refused.retryAfterMs).allowed).toBe(true);
  });

  it('keeps at most one bucket per sixtieth of the window, however many runs are charged', () => {
    let state: OutputBudgetState = EMPTY_OUTPUT_BUDGET;
    for (let i = 0; i < 10_000; i++) state = chargeOutput(state, RULE, T0 + i * 13, 1);
    expect(state.buckets.length).toBeLessThanOrEqual(61);
    expect(chargeOutput(state, RULE, T0, 0).buckets.length).toBeLessThanOrEqual(61);
  });
});

describe('output budget: end to end', { timeout: 90_000 }, () => {
  const small = { RATE_LIMIT_OUTPUT_KIB: '2/1m' };
  const printing = (chars: number) => ({
    language: 'python',
    code: `import sys\nsys.stdout.write("x" * ${chars})`,
    wait: true,
  });

  it('charges each run its output and refuses the organization’s next run once the budget is spent', async () => {
    const user = await registerUser();
    for (let i = 0; i < 2; i++) {
      const res = await postRun(user, printing(1500), small);
      expect(res.status).toBe(200);
      expect(((await res.json()) as RunView).stdout).toHaveLength(1500);
    }
    // 3,000 characters against 2 KiB: refused, saying which quota and when to come back.
    const refused = await postRun(user, printing(10), small);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(refused)).toMatchObject({ code: 'rate_limited', quota: 'output', limit: 2048 });
    // Piston's execute creates runs through the same path (with an API key, as its clients send one).
    const piston = await fetchApp(
      `${BASE}/api/v2/execute`,
      jsonInit(
        'POST',
        { language: 'python', version: '*', files: [{ content: 'print(1)' }] },
        { authorization: await mintKey(user) },
      ),
      small as Partial<Env>,
    );
    expect(piston.status).toBe(429);
    // Another organization has its own budget.
    expect((await postRun(await registerUser(), printing(10), small)).status).toBe(200);
  });

  it('a run within the budget is never cut by it: its limit stays the plan’s output limit', async () => {
    const user = await registerUser();
    // 3,000 characters with 2 KiB of budget left: the run is whole, and the next one waits.
    const res = await postRun(user, printing(3000), small);
    expect(res.status).toBe(200);
    expect((await res.json()) as RunView).toMatchObject({ status: 'succeeded', stdoutTruncated: false });
    expect((await postRun(user, printing(10), small)).status).toBe(429);
  });

  it('an AI task’s run draws on the same budget: spent, the task ends rate_limited', async () => {
    const user = await registerUser();
    expect((await postRun(user, printing(3000), small)).status).toBe(200);
    const key = freshKey('openai');
    await storeKey(user, 'openai', key);
    await script(key, programReply('print("hello")'));
    const res = await postTask(
      user,
      { prompt: 'Print hello.', provider: 'openai', model: 'gpt-local', language: 'python' },
      small,
    );
    expect(res.status).toBe(202);
    const frames = await watchToEnd(((await res.json()) as { streamUrl: string }).streamUrl);
    expect(frames.at(-1)).toMatchObject({ type: 'end', errorCode: 'rate_limited' });
    expect(ofType(frames, 'stdout')).toEqual([]);
  });
});
