/**
 * Fair sharing on a real host with real containers: admission by budget (not by cores), fair order across
 * organizations, and the output channel under the marker attack. Asserted by order of events and by the
 * host's own admission state (/readyz), never by wall-clock bounds.
 */
import type { HostMessage, RunResult } from '@airlock/protocol';
import { LIMITS } from '@airlock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session, TestHost } from './support.ts';
import { connect, startTestHost, uniqueId, waitFor } from './support.ts';

interface Admission {
  running: number;
  queued: number;
  memoryMb: number;
  pids: number;
  orgs: number;
  budget: { memoryMb: number; pids: number; maxRunning: number };
}

let h: TestHost | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function admission(host: TestHost): Promise<Admission> {
  const body = (await (await fetch(`${host.http}/readyz`)).json()) as { admission: Admission };
  return body.admission;
}

/** Every frame of every run, in the order this process received them, as `label:type`. */
type Log = string[];

interface Started {
  label: string;
  session: Session;
  accepted: Promise<HostMessage>;
  result: Promise<RunResult | undefined>;
}

async function start(
  host: TestHost,
  label: string,
  org: string,
  request: Record<string, unknown>,
  log: Log,
): Promise<Started> {
  const runId = uniqueId(label);
  const session = await connect(host.url, await host.token({ runId, request, org }));
  session.ws.on('message', (d) => log.push(`${label}:${(JSON.parse(String(d)) as HostMessage).type}`));
  session.send({ type: 'run', runId, request });
  const result = session.closed.then(() => {
    const exit = session.frames.find((f) => f.type === 'exit');
    return exit?.type === 'exit' ? exit.result : undefined;
  });
  return { label, session, accepted: session.next('accepted'), result };
}

const sleeper = (seconds: number) => ({
  language: 'python',
  code: `import time\ntime.sleep(${seconds})`,
  limits: { timeoutMs: 15_000 },
});
const hello = { language: 'python', code: 'print(1)' };
const queued = (m: HostMessage) => (m.type === 'accepted' ? m.queued : undefined);

describe('admission by budget, not by cores', () => {
  it('three long sleepers do not hold the host: a short run starts at once and ends first', async () => {
    h = await startTestHost({ POOL_SIZE: '2', POOL_LANGUAGES: 'python' });
    const log: Log = [];
    const sleepers = await Promise.all(
      ['s1', 's2', 's3'].map((label) => start(h as TestHost, label, `org-${label}`, sleeper(12), log)),
    );
    for (const s of sleepers) expect(queued(await s.accepted)).toBe(false);
    await Promise.all(sleepers.map((s) => s.session.next('started')));
    expect(await admission(h)).toMatchObject({ running: 3, queued: 0, orgs: 3 });

    const short = await start(h, 'short', 'org-short', hello, log);
    // Not queued behind the sleepers: this machine has 2 cores, and 3 runs were already admitted.
    expect(queued(await short.accepted)).toBe(false);
    expect((await short.result)?.stdout).toBe('1\n');
    // The sleepers were still admitted when the short run ended: none of them had finished.
    expect(log.filter((e) => e.endsWith(':exit'))).toEqual(['short:exit']);
    expect(await admission(h)).toMatchObject({ running: 3, queued: 0 });
    for (const s of sleepers) s.session.ws.close();
    await waitFor(async () => (await admission(h as TestHost)).running === 0 || undefined, 'sleepers gone');
  });
});

describe('fair queuing across organizations', () => {
  it("an organization flooding the host is capped at its share; another's run starts at once", async () => {
    h = await startTestHost({
      MAX_CONCURRENT_RUNS: '4',
      HOST_ORG_SHARE: '0.5',
      MAX_QUEUED_RUNS: '20',
      HOST_ORG_MAX_QUEUED: '10',
    });
    const log: Log = [];
    const flood = [];
    for (let i = 0; i < 8; i++) flood.push(await start(h, `a${i}`, 'org-a', sleeper(12), log));
    const decisions = await Promise.all(flood.map(async (r) => queued(await r.accepted)));
    expect(decisions.filter((q) => q === false)).toHaveLength(2);
    expect(await admission(h)).toMatchObject({ running: 2, queued: 6, orgs: 1 });

    const b = await start(h, 'b', 'org-b', hello, log);
    expect(queued(await b.accepted)).toBe(false);
    expect((await b.result)?.stdout).toBe('1\n');
    // A's backlog is still waiting, in A's own queue: B did not wait behind it.
    expect(await admission(h)).toMatchObject({ running: 2, queued: 6 });
    expect(log.filter((e) => e.endsWith(':started'))).toHaveLength(3);
    for (const r of flood) r.session.ws.close();
    await waitFor(async () => (await admission(h as TestHost)).running === 0 || undefined, 'flood gone');
  });

  it('when the host is full, the freed place goes to the waiting organization, not to the backlog', async () => {
    h = await startTestHost({ MAX_CONCURRENT_RUNS: '2', HOST_ORG_SHARE: '1', MAX_QUEUED_RUNS: '20' });
    const log: Log = [];
    const first = await start(h, 'a-first', 'org-a', sleeper(4), log);
    const holder = await start(h, 'a-holder', 'org-a', sleeper(14), log);
    await Promise.all([first.session.next('started'), holder.session.next('started')]);
    const backlog = [];
    for (let i = 0; i < 4; i++) backlog.push(await start(h, `a${i}`, 'org-a', hello, log));
    for (const r of backlog) expect(queued(await r.accepted)).toBe(true);
    const b = await start(h, 'b', 'org-b', hello, log);
    expect(queued(await b.accepted)).toBe(true);
    expect(await admission(h)).toMatchObject({ running: 2, queued: 5, orgs: 2 });

    // FIFO would start a0..a3 first: they queued before B.
    for (const r of backlog) expect((await r.result)?.stdout).toBe('1\n');
    expect((await b.result)?.stdout).toBe('1\n');
    const starts = log.filter((e) => e.endsWith(':started')).map((e) => e.split(':')[0]);
    // The place a-first freed went to B; A's backlog started only after B.
    expect(starts.indexOf('b')).toBe(2);
    for (const label of ['a0', 'a1', 'a2', 'a3']) expect(starts.indexOf(label)).toBeGreaterThan(2);
    holder.session.ws.close();
  });

  it('bounds each organization queue: beyond it `capacity`, while another organization still queues', async () => {
    h = await startTestHost({ MAX_CONCURRENT_RUNS: '1', MAX_QUEUED_RUNS: '10', HOST_ORG_MAX_QUEUED: '2' });
    const log: Log = [];
    const holder = await start(h, 'holder', 'org-a', sleeper(14), log);
    await holder.session.next('started');
    const a1 = await start(h, 'a1', 'org-a', hello, log);
    const a2 = await start(h, 'a2', 'org-a', hello, log);
    expect([queued(await a1.accepted), queued(await a2.accepted)]).toEqual([true, true]);
    const a3 = await start(h, 'a3', 'org-a', hello, log);
    expect(await a3.session.next('error')).toMatchObject({ code: 'capacity' });
    const b = await start(h, 'b', 'org-b', hello, log);
    expect(queued(await b.accepted)).toBe(true);
    for (const r of [holder, a1, a2, b]) r.session.ws.close();
  });
});

describe('the last warm containers go to organizations of short runs', () => {
  it('an organization of long runs creates its own container rather than take the reserve', async () => {
    // No refill during the test (its delay outlasts it): the pool's size says who took a warm one.
    h = await startTestHost({
      POOL_SIZE: '2',
      POOL_LANGUAGES: 'python',
      POOL_SHORT_RESERVE: '1',
      POOL_LONG_RUN_MS: '1000',
      POOL_REFILL_DELAY_MS: '60000',
    });
    const host = h;
    const warm = () => host.host.pool.size('python');
    await waitFor(() => warm() === 2 || undefined, 'pool filled');
    const log: Log = [];
    // An organization the host has not seen takes a warm container; its run holds it for 2 s: long.
    expect((await (await start(host, 'long', 'org-long', sleeper(2), log)).result)?.status).toBe('succeeded');
    expect(warm()).toBe(1);
    // One warm container left, the reserve: the long-run organization creates its own.
    expect((await (await start(host, 'long-again', 'org-long', hello, log)).result)?.stdout).toBe('1\n');
    expect(warm()).toBe(1);
    // An organization of short runs takes it.
    expect((await (await start(host, 'short', 'org-short', hello, log)).result)?.stdout).toBe('1\n');
    expect(warm()).toBe(0);
  });
});

describe('the output channel under attack', () => {
  it('a forged marker prefix then a flood: every byte counted, output_limited, the host unharmed', async () => {
    h = await startTestHost({ POOL_SIZE: '1', POOL_LANGUAGES: 'python' });
    const log: Log = [];
    const attack = await start(
      h,
      'attack',
      'org-evil',
      {
        language: 'python',
        code: [
          'import sys',
          'nonce = open("/tmp/.airlock-nonce").read().strip()',
          'sys.stdout.write("\\x1fAL:" + nonce + ":")',
          'while True:',
          '    sys.stdout.write("x" * 65536)',
        ].join('\n'),
        limits: { timeoutMs: 15_000 },
      },
      log,
    );
    const result = await attack.result;
    expect(result).toMatchObject({ status: 'output_limited', stdoutTruncated: true });
    // The held prefix was released as output and counted: exactly the limit came out.
    expect(Buffer.byteLength(result?.stdout ?? '')).toBe(LIMITS.maxOutputBytes);
    expect(result?.stdout.startsWith('\x1fAL:')).toBe(true);
    expect((await (await start(h, 'after', 'org-ok', hello, log)).result)?.stdout).toBe('1\n');
  });

  it('forged markers that are stripped still count toward the limit', async () => {
    h = await startTestHost({ POOL_SIZE: '1', POOL_LANGUAGES: 'python' });
    const log: Log = [];
    const attack = await start(
      h,
      'forger',
      'org-evil',
      {
        language: 'python',
        code: [
          'import sys',
          'nonce = open("/tmp/.airlock-nonce").read().strip()',
          // Valid run markers on stdout only: stripped, and never completing the run (stderr has none).
          'm = "\\x1fAL:" + nonce + ":R:0\\x1f"',
          'while True:',
          '    sys.stdout.write(m * 2000)',
        ].join('\n'),
        limits: { timeoutMs: 15_000 },
      },
      log,
    );
    const result = await attack.result;
    expect(result).toMatchObject({ status: 'output_limited', stdoutTruncated: true, stdout: '' });
  });
});
