import { AirlockError } from './errors.ts';
import { OPERATIONS, type OperationName, pathOf } from './operations.ts';
import { frameStream, type WebSocketFactory } from './stream.ts';
import type {
  ApiKey,
  CreatedApiKey,
  Frame,
  Run,
  RunAccepted,
  RunPage,
  RunRequest,
  Runtime,
  Session,
} from './types.ts';

/**
 * The Airlock API over fetch and WebSocket, typed. Authenticate with an API key (`ak_…`) or a user
 * session (`login()`/`register()` keep the access token; `refresh()` renews it). Errors throw
 * AirlockError with the API's code, message, request id and Retry-After.
 */

export interface ClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  apiKey?: string;
  accessToken?: string;
  fetch?: typeof fetch;
  WebSocket?: WebSocketFactory;
  /** Stream reconnects in a row without progress before `start()` gives up (default 5). */
  maxReconnects?: number;
}

interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

/** A started run: iterate it for its frames (reconnecting as needed), or await `result()`. */
export interface RunHandle extends AsyncIterable<Frame> {
  readonly id: string;
  frames(): AsyncGenerator<Frame, void>;
  /** Drains the stream and returns the finished run. */
  result(): Promise<Run>;
  cancel(): Promise<void>;
}

export class AirlockClient {
  readonly baseUrl: string;
  #credential: string | undefined;
  #refreshToken: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #WebSocket: WebSocketFactory;
  readonly #maxReconnects: number;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#credential = options.apiKey ?? options.accessToken;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.#maxReconnects = options.maxReconnects ?? 5;
  }

  async call<T>(op: OperationName, options: CallOptions = {}): Promise<T> {
    const [method] = OPERATIONS[op];
    const url = new URL(this.baseUrl + pathOf(op, options.params));
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#credential) headers.authorization = `Bearer ${this.#credential}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.#fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const error = (json as { error?: Record<string, unknown> } | undefined)?.error ?? {};
      throw new AirlockError(res.status, error, res.headers.get('retry-after'));
    }
    return json as T;
  }

  // ── auth
  async register(email: string, password: string): Promise<Session> {
    return this.#keep(await this.call<Session>('register', { body: { email, password } }));
  }
  async login(email: string, password: string): Promise<Session> {
    return this.#keep(await this.call<Session>('login', { body: { email, password } }));
  }
  async refresh(refreshToken = this.#refreshToken): Promise<Session> {
    return this.#keep(await this.call<Session>('refresh', { body: { refreshToken } }));
  }
  async logout(): Promise<void> {
    await this.call('logout', { body: { refreshToken: this.#refreshToken } });
    this.#credential = undefined;
    this.#refreshToken = undefined;
  }
  me(): Promise<{ id: string; email: string } & Record<string, unknown>> {
    return this.call('me');
  }
  #keep(session: Session): Session {
    this.#credential = session.accessToken;
    this.#refreshToken = session.refreshToken;
    return session;
  }

  // ── runtimes and runs
  runtimes(): Promise<{ runtimes: Runtime[]; limits: Record<string, number> }> {
    return this.call('runtimes');
  }

  /** Runs and waits for the result; a run that outlives the server's wait is followed on its stream. */
  async run(request: RunRequest): Promise<Run> {
    const answer = await this.call<Run | RunAccepted>('createRun', { body: { ...request, wait: true } });
    if (answer.status !== 'queued') return answer as Run;
    return this.#handle(answer as RunAccepted).result();
  }

  /** Starts a run without waiting: iterate the handle for its frames. */
  async start(request: RunRequest): Promise<RunHandle> {
    return this.#handle(await this.call<RunAccepted>('createRun', { body: request }));
  }

  getRun(id: string): Promise<Run> {
    return this.call('getRun', { params: { id } });
  }
  listRuns(
    query: { limit?: number; cursor?: string; status?: string; language?: string } = {},
  ): Promise<RunPage> {
    return this.call('listRuns', { query });
  }
  cancelRun(id: string): Promise<{ id: string; status: string }> {
    return this.call('cancelRun', { params: { id } });
  }
  streamTicket(id: string): Promise<{ ticket: string; streamUrl: string; expiresAt: string }> {
    return this.call('streamTicket', { params: { id } });
  }

  #handle(accepted: RunAccepted): RunHandle {
    const { id } = accepted;
    const frames = () =>
      frameStream(accepted.streamUrl, {
        WebSocket: this.#WebSocket,
        freshUrl: async () => (await this.streamTicket(id)).streamUrl,
        maxReconnects: this.#maxReconnects,
      });
    let stream: AsyncGenerator<Frame, void> | undefined;
    const shared = () => {
      stream ??= frames();
      return stream;
    };
    return {
      id,
      frames: shared,
      [Symbol.asyncIterator]: shared,
      result: async () => {
        for await (const _frame of shared()) {
          // Drained: the run has ended once the stream does.
        }
        return this.getRun(id);
      },
      cancel: async () => {
        await this.cancelRun(id);
      },
    };
  }

  // ── API keys (a user session only: API keys cannot manage keys)
  async listKeys(): Promise<ApiKey[]> {
    return (await this.call<{ keys: ApiKey[] }>('listKeys')).keys;
  }
  createKey(input: { name: string; scopes: string[]; expiresAt?: string }): Promise<CreatedApiKey> {
    return this.call('createKey', { body: input });
  }
  async revokeKey(id: string): Promise<void> {
    await this.call('revokeKey', { params: { id } });
  }
}
