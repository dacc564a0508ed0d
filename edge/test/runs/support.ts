/**
 * Run-test helpers (inside workerd): create runs through the real Worker (`SELF.fetch`), open stream
 * WebSockets the way a client does, and ask the harness's control server (global-setup.ts) for extra
 * sandbox hosts to kill.
 */
import { env, SELF } from 'cloudflare:test';
import type { RunView } from '../../src/domain/runs/view.ts';
import { fetchApp, jsonInit, type RegisteredUser, registerUser as register } from '../helpers.ts';

export type { RunView };

export const BASE = 'http://127.0.0.1:8787';

/** Worker vars a test may override (fetchApp): the run settings are strings like every var. */
export type Overrides = Partial<Env> & { SANDBOX_HOSTS?: string; RUN_MAX_CONCURRENT_PER_ORG?: string };

export interface Accepted {
  id: string;
  status: 'queued';
  streamUrl: string;
}

export interface Frame {
  type: 'started' | 'stdout' | 'stderr' | 'exit' | 'error';
  seq: number;
  runId: string;
  data?: string;
  result?: Omit<RunView, 'id' | 'language' | 'createdAt'> & { status: string };
}

/** Fails a run test at once, with the reason, when the harness has no sandbox host. */
export function requireHost(): void {
  if (env.RUNS_HOST_ERROR) throw new Error(env.RUNS_HOST_ERROR);
}

export function bearer(user: RegisteredUser | string): Record<string, string> {
  return { Authorization: `Bearer ${typeof user === 'string' ? user : user.accessToken}` };
}

export function worker(path: string, init?: RequestInit): Promise<Response> {
  return SELF.fetch(new URL(path, BASE).toString(), init);
}

/** POST /v1/runs through the real Worker, or through a fresh app with env overrides. */
export function postRun(
  user: RegisteredUser | string,
  body: unknown,
  overrides?: Overrides,
): Promise<Response> {
  const init = jsonInit('POST', body, bearer(user));
  return overrides ? fetchApp(`${BASE}/v1/runs`, init, overrides as Partial<Env>) : worker('/v1/runs', init);
}

export async function runAndWait(user: RegisteredUser, body: Record<string, unknown>): Promise<RunView> {
  const res = await postRun(user, { ...body, wait: true });
  if (res.status !== 200) throw new Error(`run: ${res.status} ${await res.text()}`);
  return (await res.json()) as RunView;
}

export async function runAsync(
  user: RegisteredUser,
  body: Record<string, unknown>,
  overrides?: Overrides,
): Promise<Accepted> {
  const res = await postRun(user, body, overrides);
  if (res.status !== 202) throw new Error(`run: ${res.status} ${await res.text()}`);
  return (await res.json()) as Accepted;
}

export async function getRun(user: RegisteredUser, id: string): Promise<Response> {
  return worker(`/v1/runs/${id}`, { headers: bearer(user) });
}

export async function streamTicket(user: RegisteredUser, id: string): Promise<Response> {
  return worker(`/v1/runs/${id}/stream-ticket`, { method: 'POST', headers: bearer(user) });
}

export async function freshStreamUrl(user: RegisteredUser, id: string): Promise<string> {
  const res = await streamTicket(user, id);
  if (res.status !== 200) throw new Error(`stream-ticket: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { streamUrl: string }).streamUrl;
}

/**
 * Every wait on a stream ends: past its timeout it fails with the frames it saw, so a stream that
 * stalls fails the test with the evidence instead of hanging it (well under the tests' own timeouts).
 */
export const WATCH_TIMEOUT_MS = 30_000;

export interface Watcher {
  frames: Frame[];
  /** Resolves when the server closes the socket; rejects with the frames seen after `WATCH_TIMEOUT_MS`. */
  readonly closed: Promise<{ code: number }>;
  /** Resolves with the first frame matching `pred` (already received or later), or rejects as above. */
  until(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /**
   * Resolves once the stdout streamed so far contains `text`, e.g. a whole printed line: print() writes
   * the text and its newline apart, and they can come in two frames, so the first stdout frame is not
   * the line. Rejects as above.
   */
  untilStdout(text: string): Promise<Frame>;
  close(): void;
}

/** `promise`, or a rejection naming `what` and the frames seen once `ms` have passed. */
export function within<T>(promise: Promise<T>, ms: number, what: string, frames: Frame[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`timed out after ${ms} ms waiting for ${what}; frames seen: ${JSON.stringify(frames)}`),
        ),
      ms,
    );
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Opens a stream URL exactly as given (ws:// → the Worker's fetch with an Upgrade header). */
export async function watch(streamUrl: string, headers: Record<string, string> = {}): Promise<Watcher> {
  const res = await SELF.fetch(streamUrl.replace(/^ws/, 'http'), {
    headers: { Upgrade: 'websocket', ...headers },
  });
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new StreamRefused(res.status, await res.text());
  ws.accept();
  const frames: Frame[] = [];
  const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  let onClose: (v: { code: number }) => void = () => undefined;
  const closed = new Promise<{ code: number }>((r) => {
    onClose = r;
  });
  ws.addEventListener('message', (event) => {
    const frame = JSON.parse(String(event.data)) as Frame;
    frames.push(frame);
    for (const w of [...waiters]) {
      if (w.pred(frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(frame);
      }
    }
  });
  ws.addEventListener('close', (event) => onClose({ code: event.code }));
  const until = (pred: (f: Frame) => boolean, timeoutMs = WATCH_TIMEOUT_MS) => {
    const seen = frames.find(pred);
    if (seen) return Promise.resolve(seen);
    const found = new Promise<Frame>((resolve) => waiters.push({ pred, resolve }));
    return within(found, timeoutMs, `a frame matching ${pred.toString()}`, frames);
  };
  return {
    frames,
    // A getter, so that a wait exists (and can time out) only when a test awaits it.
    get closed() {
      return within(closed, WATCH_TIMEOUT_MS, 'the server to close the stream', frames);
    },
    until,
    untilStdout: (text) => until(() => streamed(frames, 'stdout').includes(text)),
    close() {
      try {
        ws.close(1000, 'bye');
      } catch {
        // Already closed.
      }
    },
  };
}

export class StreamRefused extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(`stream refused with HTTP ${status}: ${body}`);
    this.status = status;
    this.body = body;
  }
}

export const streamed = (frames: Frame[], type: 'stdout' | 'stderr') =>
  frames
    .filter((f) => f.type === type)
    .map((f) => f.data)
    .join('');

// ── Extra sandbox hosts (control server of the global setup) ───────────────────────────────────

export interface ExtraHost {
  id: string;
  url: string;
}

export async function startExtraHost(hostEnv: Record<string, string> = {}): Promise<ExtraHost> {
  const res = await fetch(`${env.RUNS_CONTROL_URL}/hosts`, jsonInit('POST', { env: hostEnv }));
  if (res.status !== 201) throw new Error(`start host: ${res.status} ${await res.text()}`);
  return (await res.json()) as ExtraHost;
}

export async function killHost(host: ExtraHost): Promise<void> {
  const res = await fetch(`${env.RUNS_CONTROL_URL}/hosts/${host.id}/kill`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`kill host: ${res.status} ${await res.text()}`);
}

export async function stopHost(host: ExtraHost): Promise<void> {
  await fetch(`${env.RUNS_CONTROL_URL}/hosts/${host.id}/stop`, { method: 'POST' });
}

/**
 * `host` behind a slow link: a proxy on 127.0.0.1 (harness/throttle.ts) that passes what the edge
 * sends at `bytesPerSecond` at most. The returned ref has the host's id (the run token's audience).
 */
export async function throttled(host: ExtraHost, bytesPerSecond: number): Promise<ExtraHost> {
  const port = Number(new URL(host.url).port);
  const res = await fetch(`${env.RUNS_CONTROL_URL}/throttles`, jsonInit('POST', { port, bytesPerSecond }));
  if (res.status !== 201) throw new Error(`throttle: ${res.status} ${await res.text()}`);
  const proxy = (await res.json()) as { port: number };
  return { id: host.id, url: `ws://127.0.0.1:${proxy.port}` };
}

export const hostsEnv = (...hosts: ExtraHost[]): Overrides => ({
  SANDBOX_HOSTS: JSON.stringify(hosts.map((h) => ({ id: h.id, url: h.url }))),
});

/** A fresh user (helpers.ts), after checking that the harness has its sandbox host. */
export function registerUser(...args: Parameters<typeof register>): Promise<RegisteredUser> {
  requireHost();
  return register(...args);
}
