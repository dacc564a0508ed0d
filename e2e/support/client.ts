/** A plain client of the API: fetch for HTTP, `ws` for the stream, nothing from inside the system. */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export interface Frame {
  type: string;
  seq: number;
  runId: string;
  data?: string;
  result?: { status: string; stdout: string; stderr: string; exitCode: number | null; finishedAt: string };
}

// biome-ignore lint/suspicious/noExplicitAny: a black-box client's JSON bodies are checked by the assertions
type Json = any;

export class Client {
  readonly base: string;
  token = '';
  constructor(base: string) {
    this.base = base;
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json; headers: Headers }> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  /** Registers a fresh account and logs in with it, as a new user would. */
  async signUp(): Promise<{ email: string; password: string }> {
    const email = `e2e-${randomUUID()}@example.test`;
    const password = 'correct horse battery staple 42';
    const reg = await this.call('POST', '/v1/auth/register', { email, password });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.json)}`);
    const login = await this.call('POST', '/v1/auth/login', { email, password });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.json)}`);
    this.token = login.json.accessToken;
    return { email, password };
  }
}

export interface Stream {
  frames: Frame[];
  closed: Promise<{ code: number }>;
  /**
   * The `exit` frame (the last frame of every run). Local `wrangler dev` holds the TCP connection for
   * a few seconds after the close handshake, so `closed` comes late there; the end is the exit frame.
   */
  ended: Promise<Frame>;
  until(pred: (f: Frame) => boolean): Promise<Frame>;
  close(): void;
}

/** Opens a stream URL as given; rejects with the HTTP status if the handshake is refused. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024, handshakeTimeout: 10_000 });
    const frames: Frame[] = [];
    const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
    let onClose: (v: { code: number }) => void = () => undefined;
    const closed = new Promise<{ code: number }>((r) => {
      onClose = r;
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      frames.push(frame);
      for (const w of [...waiters]) {
        if (w.pred(frame)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    ws.on('close', (code) => onClose({ code }));
    ws.on('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`stream refused: HTTP ${res.statusCode}`), { status: res.statusCode }));
      res.resume();
    });
    ws.on('error', reject);
    ws.on('open', () => {
      const until = (pred: (f: Frame) => boolean) => {
        const seen = frames.find(pred);
        return seen ? Promise.resolve(seen) : new Promise<Frame>((r) => waiters.push({ pred, resolve: r }));
      };
      resolve({
        frames,
        closed,
        ended: until((f) => f.type === 'exit'),
        until,
        close: () => ws.terminate(),
      });
    });
  });
}
