import { describe, expect, it } from 'vitest';
import {
  CLOSE_CODES,
  ClientMessageSchema,
  ERROR_CLOSE_CODES,
  ERROR_CODES,
  emptyRunResult,
  HostMessageSchema,
  HostRuntimesSchema,
  isFinalHostMessage,
  LIMITS,
  pickRunOutcome,
  RUN_OUTCOME_FIELDS,
  RunRequestSchema,
  RunResultSchema,
  RunStatusSchema,
} from '../src/index.ts';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe('RunRequestSchema', () => {
  const base = { language: 'python', code: 'print(1)' };

  it('accepts code or files, with stdin, args and limits', () => {
    expect(ok(RunRequestSchema, base)).toBe(true);
    expect(
      ok(RunRequestSchema, {
        language: 'c',
        files: [
          { name: 'main.c', content: 'int main(){}' },
          { name: 'util.h', content: '' },
        ],
        stdin: 'x',
        args: ['-v'],
        limits: { timeoutMs: LIMITS.maxTimeoutMs, memoryMb: LIMITS.minMemoryMb },
      }),
    ).toBe(true);
  });

  it('requires exactly one of code and files', () => {
    expect(ok(RunRequestSchema, { language: 'python' })).toBe(false);
    expect(ok(RunRequestSchema, { ...base, files: [{ name: 'a.py', content: '' }] })).toBe(false);
  });

  it('refuses unknown members, bad languages and bad file names', () => {
    expect(ok(RunRequestSchema, { ...base, extra: 1 })).toBe(false);
    expect(ok(RunRequestSchema, { ...base, language: 'Python' })).toBe(false);
    for (const name of ['../x', '.env', 'a/b', '', 'x'.repeat(65)]) {
      expect(ok(RunRequestSchema, { language: 'c', files: [{ name, content: '' }] })).toBe(false);
    }
    const dup = [
      { name: 'a.c', content: '' },
      { name: 'a.c', content: '' },
    ];
    expect(ok(RunRequestSchema, { language: 'c', files: dup })).toBe(false);
  });

  it('counts sizes in UTF-8 bytes, at the limit and one past it', () => {
    const atLimit = 'a'.repeat(LIMITS.maxCodeBytes);
    expect(ok(RunRequestSchema, { ...base, code: atLimit })).toBe(true);
    expect(ok(RunRequestSchema, { ...base, code: `${atLimit}a` })).toBe(false);
    // Two bytes each in UTF-8: half as many characters reach the limit.
    expect(ok(RunRequestSchema, { ...base, code: 'é'.repeat(LIMITS.maxCodeBytes / 2 + 1) })).toBe(false);
    expect(ok(RunRequestSchema, { ...base, stdin: 'é'.repeat(LIMITS.maxStdinBytes / 2 + 1) })).toBe(false);
    expect(ok(RunRequestSchema, { ...base, args: ['a\0b'] })).toBe(false);
    expect(ok(RunRequestSchema, { ...base, args: Array(LIMITS.maxArgs + 1).fill('a') })).toBe(false);
  });

  it('bounds the limits a request may ask for', () => {
    expect(ok(RunRequestSchema, { ...base, limits: { timeoutMs: LIMITS.maxTimeoutMs + 1 } })).toBe(false);
    expect(ok(RunRequestSchema, { ...base, limits: { timeoutMs: LIMITS.minTimeoutMs - 1 } })).toBe(false);
    expect(ok(RunRequestSchema, { ...base, limits: { memoryMb: LIMITS.maxMemoryMb + 1 } })).toBe(false);
    expect(ok(RunRequestSchema, { ...base, limits: { memoryMb: 64.5 } })).toBe(false);
  });
});

describe('messages', () => {
  it('client messages: run and cancel with a valid run id, nothing else', () => {
    expect(ok(ClientMessageSchema, { type: 'run', runId: 'r-1', request: {} })).toBe(true);
    expect(ok(ClientMessageSchema, { type: 'cancel', runId: 'r-1' })).toBe(true);
    expect(ok(ClientMessageSchema, { type: 'cancel', runId: 'r 1' })).toBe(false);
    expect(ok(ClientMessageSchema, { type: 'cancel', runId: 'r-1', extra: true })).toBe(false);
    expect(ok(ClientMessageSchema, { type: 'exec', runId: 'r-1' })).toBe(false);
  });

  it('host messages: numbered frames; exit carries a full result; exit and error are final', () => {
    const exit = {
      type: 'exit',
      runId: 'r',
      seq: 3,
      result: emptyRunResult('succeeded', '2026-01-01T00:00:00.000Z'),
    };
    expect(ok(HostMessageSchema, exit)).toBe(true);
    expect(ok(HostMessageSchema, { ...exit, seq: -1 })).toBe(false);
    expect(ok(HostMessageSchema, { ...exit, result: { ...exit.result, stdout: undefined } })).toBe(false);
    expect(ok(HostMessageSchema, { type: 'error', runId: null, seq: 0, code: 'nope', message: '' })).toBe(
      false,
    );
    const parsed = HostMessageSchema.parse(exit);
    expect(isFinalHostMessage(parsed)).toBe(true);
    expect(
      isFinalHostMessage(HostMessageSchema.parse({ type: 'stdout', runId: 'r', seq: 1, data: 'x' })),
    ).toBe(false);
  });

  it('every error code has an application close code', () => {
    for (const code of ERROR_CODES) expect(Object.values(CLOSE_CODES)).toContain(ERROR_CLOSE_CODES[code]);
  });
});

describe('run result', () => {
  const at = '2026-01-01T00:00:00.000Z';

  it('emptyRunResult is a valid result with nothing measured', () => {
    const result = emptyRunResult('cancelled', at);
    expect(RunResultSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      status: 'cancelled',
      exitCode: null,
      stdout: '',
      wallMs: 0,
      finishedAt: at,
    });
  });

  it('the outcome fields are every result field but the status and the times', () => {
    expect([...RUN_OUTCOME_FIELDS, 'status', 'startedAt', 'finishedAt'].sort()).toEqual(
      Object.keys(RunResultSchema.shape).sort(),
    );
  });

  it('pickRunOutcome copies exactly the outcome fields', () => {
    const row = { ...emptyRunResult('failed', at), exitCode: 2, id: 'x', status: 'failed' };
    const picked = pickRunOutcome(row);
    expect(Object.keys(picked).sort()).toEqual([...RUN_OUTCOME_FIELDS].sort());
    expect(picked.exitCode).toBe(2);
  });

  it('statuses: the host ones plus the edge ones, nothing else', () => {
    expect(ok(RunStatusSchema, 'host_lost')).toBe(true);
    expect(ok(RunStatusSchema, 'running')).toBe(false);
  });
});

describe('HostRuntimesSchema', () => {
  const runtime = {
    language: 'python',
    name: 'Python',
    version: '3.13.1',
    fileName: 'main.py',
    compiled: false,
    limits: {
      defaultTimeoutMs: 5000,
      maxTimeoutMs: 15000,
      compileTimeoutMs: null,
      defaultMemoryMb: 256,
      maxMemoryMb: 512,
      maxOutputBytes: 1048576,
      maxCodeBytes: 262144,
      maxStdinBytes: 1048576,
      pids: 128,
      cpus: 1,
    },
  };

  it('accepts what a host writes and drops members it does not know', () => {
    const parsed = HostRuntimesSchema.parse({ hostId: 'h1', runtimes: [{ ...runtime, extra: 1 }], more: 2 });
    expect(parsed).toEqual({ hostId: 'h1', runtimes: [runtime] });
  });

  it('refuses an answer missing a field or with one of the wrong type', () => {
    expect(ok(HostRuntimesSchema, { runtimes: [runtime] })).toBe(false);
    const { limits, ...noLimits } = runtime;
    expect(ok(HostRuntimesSchema, { hostId: 'h1', runtimes: [noLimits] })).toBe(false);
    expect(
      ok(HostRuntimesSchema, {
        hostId: 'h1',
        runtimes: [{ ...runtime, limits: { ...limits, maxTimeoutMs: '15' } }],
      }),
    ).toBe(false);
  });
});
