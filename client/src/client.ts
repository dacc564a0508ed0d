import { AirlockError } from './errors.ts';
import { OPERATIONS, type OperationName, pathOf } from './operations.ts';
import { frameStream, type Sequenced, type WebSocketFactory } from './stream.ts';
import type {
  ApiKey,
  CreatedApiKey,
  FilePage,
  Frame,
  Provider,
  ProviderKey,
  Run,
  RunAccepted,
  RunPage,
  RunRequest,
  Runtime,
  Session,
  StoredFile,
  Task,
  TaskAccepted,
  TaskFrame,
  TaskPage,
  TaskRequest,
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
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, as `application/octet-stream` (uploads). */
  bytes?: FileBytes;
}

/** What uploadFile() takes: the bytes as Node, browsers and Workers all hold them. */
export type FileBytes = Uint8Array | Blob | ArrayBuffer;

/** Something streaming: iterate it for its frames (reconnecting as needed), or await `result()`. */
export interface StreamHandle<F, R> extends AsyncIterable<F> {
  readonly id: string;
  /** The one stream of this handle: iterating twice continues where the first loop stopped. */
  frames(): AsyncGenerator<F, void>;
  /** Drains the stream and returns the finished resource. */
  result(): Promise<R>;
}

/** A started run. */
export interface RunHandle extends StreamHandle<Frame, Run> {
  cancel(): Promise<void>;
}

/** A started task: the model's tokens, its program, each attempt's run frames, then `end`. */
export type TaskHandle = StreamHandle<TaskFrame, Task>;

/** How to follow one kind of stream: a fresh ticket, its last frame, the finished resource. */
interface StreamKind<F extends Sequenced, R> {
  what: string;
  ticket: (id: string) => Promise<{ streamUrl: string }>;
  isLast: (frame: F) => boolean;
  get: (id: string) => Promise<R>;
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

  /** Calls `op` and returns its JSON answer (undefined for an empty one, e.g. 204). */
  async call<T>(op: OperationName, options: CallOptions = {}): Promise<T> {
    const text = await (await this.#send(op, options, 'application/json')).text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The response of `op` when it succeeded (its body unread); an AirlockError otherwise. */
  async #send(op: OperationName, options: CallOptions, accept: string): Promise<Response> {
    const [method] = OPERATIONS[op];
    const url = new URL(this.baseUrl + pathOf(op, options.params));
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept };
    if (this.#credential) headers.authorization = `Bearer ${this.#credential}`;
    let body: BodyInit | undefined;
    if (options.bytes !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      // Typed views over a possibly shared buffer (Node's Buffer is one) are not BodyInit to TypeScript;
      // fetch sends any ArrayBufferView.
      body = options.bytes as BodyInit;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const res = await this.#fetch(url, { method, headers, body });
    if (res.ok) return res;
    // Errors are JSON `{error: {code, message, requestId}}`; anything else (a proxy's page) is kept generic.
    const text = await res.text();
    let error: Record<string, unknown> = {};
    try {
      error = (JSON.parse(text) as { error?: Record<string, unknown> }).error ?? {};
    } catch {
      // Not JSON: the status alone.
    }
    throw new AirlockError(res.status, error, res.headers.get('retry-after'));
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
    const handle = this.#follow(accepted.id, accepted.streamUrl, this.#runs);
    return {
      ...handle,
      cancel: async () => {
        await this.cancelRun(accepted.id);
      },
    };
  }

  readonly #runs: StreamKind<Frame, Run> = {
    what: 'run',
    ticket: (id) => this.streamTicket(id),
    // The server closes a run's stream after its exit frame (an error frame only ever precedes it).
    isLast: (frame) => frame.type === 'exit' || frame.type === 'error',
    get: (id) => this.getRun(id),
  };

  /** A handle on stream `id`, opened at `firstUrl` (or with a fresh ticket) on the first iteration. */
  #follow<F extends Sequenced, R>(
    id: string,
    firstUrl: string | undefined,
    kind: StreamKind<F, R>,
  ): StreamHandle<F, R> {
    const options = {
      WebSocket: this.#WebSocket,
      freshUrl: async () => (await kind.ticket(id)).streamUrl,
      maxReconnects: this.#maxReconnects,
      isLast: kind.isLast,
      what: kind.what,
    };
    async function* frames(): AsyncGenerator<F, void> {
      yield* frameStream(firstUrl ?? (await options.freshUrl()), options);
    }
    let stream: AsyncGenerator<F, void> | undefined;
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
          // Drained: the stream ends with the resource's last frame.
        }
        return kind.get(id);
      },
    };
  }

  // ── provider keys (BYOK; a user session only): the keys tasks call the caller's model with
  async listProviderKeys(): Promise<ProviderKey[]> {
    return (await this.call<{ keys: ProviderKey[] }>('listProviderKeys')).keys;
  }
  /** Stores (or replaces) the key, encrypted at rest; the answer carries its masked hint only. */
  putProviderKey(provider: Provider, key: string): Promise<ProviderKey> {
    return this.call('putProviderKey', { params: { provider }, body: { key } });
  }
  async deleteProviderKey(provider: Provider): Promise<void> {
    await this.call('deleteProviderKey', { params: { provider } });
  }

  // ── tasks: the caller's own model (a stored provider key) writes a program, Airlock runs it
  readonly #tasks: StreamKind<TaskFrame, Task> = {
    what: 'task',
    ticket: (id) => this.taskStreamTicket(id),
    isLast: (frame) => frame.type === 'end',
    get: (id) => this.getTask(id),
  };

  /** Starts a task: iterate the handle for the model's tokens and the runs' frames, or await `result()`. */
  async createTask(request: TaskRequest): Promise<TaskHandle> {
    const accepted = await this.call<TaskAccepted>('createTask', { body: request });
    return this.#follow(accepted.id, accepted.streamUrl, this.#tasks);
  }
  /** Follows a task already created (from its first frame, as far as the server still holds it). */
  streamTask(id: string): TaskHandle {
    return this.#follow(id, undefined, this.#tasks);
  }
  getTask(id: string): Promise<Task> {
    return this.call('getTask', { params: { id } });
  }
  listTasks(query: { limit?: number; cursor?: string } = {}): Promise<TaskPage> {
    return this.call('listTasks', { query });
  }
  /** Erases the task and its runs (a running task is stopped first). */
  async deleteTask(id: string): Promise<void> {
    await this.call('deleteTask', { params: { id } });
  }
  taskStreamTicket(id: string): Promise<{ ticket: string; streamUrl: string; expiresAt: string }> {
    return this.call('taskStreamTicket', { params: { id } });
  }

  // ── files: uploads (archives are inspected: a manifest, or 400 archive_rejected), mounted into
  // runs and tasks by id (`fileIds`)

  /** Uploads `bytes` as `name` (a `.zip`, `.tar`, `.tar.gz` or `.tgz` is read as an archive). */
  uploadFile(name: string, bytes: FileBytes): Promise<StoredFile> {
    return this.call('uploadFile', { query: { name }, bytes });
  }
  /** The caller's files in the organization, newest first, and its storage use. */
  listFiles(query: { limit?: number; cursor?: string } = {}): Promise<FilePage> {
    return this.call('listFiles', { query });
  }
  /** Metadata, and for archives the manifest. */
  getFile(id: string): Promise<StoredFile> {
    return this.call('getFile', { params: { id } });
  }
  /** The file's bytes. */
  async downloadFile(id: string): Promise<Uint8Array> {
    const res = await this.#send('downloadFile', { params: { id } }, 'application/octet-stream');
    return new Uint8Array(await res.arrayBuffer());
  }
  async deleteFile(id: string): Promise<void> {
    await this.call('deleteFile', { params: { id } });
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
