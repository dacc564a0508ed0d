/**
 * Local model providers for the task tests (Node, 127.0.0.1 only), written from the providers' API
 * references: OpenAI chat completions and OpenRouter (its OpenAI-compatible API) as SSE chunks with
 * `Authorization: Bearer`, Anthropic messages SSE with `x-api-key` and `anthropic-version`, Gemini
 * `models/{model}:streamGenerateContent?alt=sse` with `x-goog-api-key`.
 *
 * A reply is scripted per API key: each provider reads the key from its own header only and serves
 * the next reply queued for that key, so a key sent in the wrong header finds no script and gets the
 * provider's 401. Every request is recorded (headers and body) for the tests to inspect. Error bodies
 * echo the key on purpose, the way real providers echo parts of it: the edge must never pass them on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProviderName = 'openai' | 'anthropic' | 'google' | 'openrouter';

export type ScriptedReply =
  /** A streamed answer in these chunks, with the token usage the provider reports. */
  | { kind: 'text'; chunks: string[]; inputTokens?: number; outputTokens?: number }
  /** An HTTP error with the provider's own error body (which echoes the key). */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Headers sent, then nothing until the client gives up. */
  | { kind: 'stall' };

export interface RecordedRequest {
  provider: ProviderName;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface ProviderServers {
  /** Base URLs as an operator would set them (OPENAI_BASE_URL …). */
  baseUrls: Record<ProviderName, string>;
  controlUrl: string;
  close(): Promise<void>;
}

const CHUNK_GAP_MS = 5;

function keyOf(provider: ProviderName, req: IncomingMessage): string | undefined {
  switch (provider) {
    case 'openai':
    case 'openrouter': {
      const auth = req.headers.authorization ?? '';
      return auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    }
    case 'anthropic':
      return typeof req.headers['x-api-key'] === 'string' ? req.headers['x-api-key'] : undefined;
    case 'google':
      return typeof req.headers['x-goog-api-key'] === 'string' ? req.headers['x-goog-api-key'] : undefined;
  }
}

/** The path each provider serves (after its base URL). */
function expectedPath(provider: ProviderName, path: string): boolean {
  switch (provider) {
    case 'openai':
      return path === '/v1/chat/completions';
    case 'openrouter':
      return path === '/api/v1/chat/completions';
    case 'anthropic':
      return path === '/v1/messages';
    case 'google':
      return /^\/v1beta\/models\/[^/:]+:streamGenerateContent\?alt=sse$/.test(path);
  }
}

function errorBody(provider: ProviderName, status: number, key: string): unknown {
  const leak = `key ${key}`;
  switch (provider) {
    case 'openai':
    case 'openrouter':
      return {
        error: {
          message:
            status === 401 ? `Incorrect API key provided: ${leak}.` : `Rate limit reached for ${leak}.`,
          type: status === 401 ? 'invalid_request_error' : 'requests',
          code: status === 401 ? 'invalid_api_key' : 'rate_limit_exceeded',
        },
      };
    case 'anthropic':
      return {
        type: 'error',
        error: {
          type: status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : 'api_error',
          message: `invalid request for ${leak}`,
        },
      };
    case 'google':
      return {
        error: {
          code: status,
          message: `API key not valid (${leak}).`,
          status: status === 429 ? 'RESOURCE_EXHAUSTED' : status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL',
        },
      };
  }
}

/** The SSE events of a streamed answer, in the provider's wire format. */
function sseEvents(
  provider: ProviderName,
  model: string,
  reply: Extract<ScriptedReply, { kind: 'text' }>,
): string[] {
  const inputTokens = reply.inputTokens ?? 11;
  const outputTokens = reply.outputTokens ?? reply.chunks.length;
  const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
  switch (provider) {
    case 'openai':
    case 'openrouter': {
      const base = { id: 'chatcmpl-local', object: 'chat.completion.chunk', created: 1_700_000_000, model };
      return [
        data({
          ...base,
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        }),
        ...reply.chunks.map((content) =>
          data({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] }),
        ),
        data({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
        data({
          ...base,
          choices: [],
          usage: {
            prompt_tokens: inputTokens,
            completion_tokens: outputTokens,
            total_tokens: inputTokens + outputTokens,
          },
        }),
        'data: [DONE]\n\n',
      ];
    }
    case 'anthropic': {
      const event = (type: string, value: unknown) => `event: ${type}\ndata: ${JSON.stringify(value)}\n\n`;
      return [
        event('message_start', {
          type: 'message_start',
          message: {
            id: 'msg_local',
            type: 'message',
            role: 'assistant',
            content: [],
            model,
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: inputTokens, output_tokens: 1 },
          },
        }),
        event('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }),
        event('ping', { type: 'ping' }),
        ...reply.chunks.map((text) =>
          event('content_block_delta', {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'text_delta', text },
          }),
        ),
        event('content_block_stop', { type: 'content_block_stop', index: 0 }),
        event('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: outputTokens },
        }),
        event('message_stop', { type: 'message_stop' }),
      ];
    }
    case 'google': {
      const usage = {
        promptTokenCount: inputTokens,
        candidatesTokenCount: outputTokens,
        totalTokenCount: inputTokens + outputTokens,
      };
      return reply.chunks.map((text, i) => {
        const last = i === reply.chunks.length - 1;
        return `data: ${JSON.stringify({
          candidates: [
            {
              content: { parts: [{ text }], role: 'model' },
              index: 0,
              ...(last ? { finishReason: 'STOP' } : {}),
            },
          ],
          usageMetadata: usage,
          modelVersion: model,
        })}\r\n\r\n`;
      });
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

export async function startProviderServers(): Promise<ProviderServers> {
  const scripts = new Map<string, ScriptedReply[]>();
  const recorded = new Map<string, RecordedRequest[]>();
  /** Recorded per request whatever the key (a request with no usable key is recorded under ''). */
  const record = (key: string, entry: RecordedRequest) => {
    const list = recorded.get(key) ?? [];
    list.push(entry);
    recorded.set(key, list);
  };
  const stalled = new Set<ServerResponse>();

  const providerServer = (provider: ProviderName) =>
    createServer((req, res) => {
      const handle = async () => {
        const text = await readBody(req);
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Recorded as text.
        }
        const path = req.url ?? '';
        const key = keyOf(provider, req);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) headers[name] = String(value);
        record(key ?? '', { provider, method: req.method ?? '', path, headers, body });

        const json = (status: number, value: unknown, extra: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...extra });
          res.end(JSON.stringify(value));
        };
        if (req.method !== 'POST' || !expectedPath(provider, path)) return json(404, { error: 'not found' });
        if (provider === 'anthropic' && req.headers['anthropic-version'] === undefined) {
          return json(400, {
            type: 'error',
            error: { type: 'invalid_request_error', message: 'anthropic-version missing' },
          });
        }
        const reply = key === undefined ? undefined : scripts.get(key)?.shift();
        if (!key || !reply) return json(401, errorBody(provider, 401, key ?? '(none)'));
        if (reply.kind === 'status') {
          const extra: Record<string, string> = reply.retryAfter ? { 'retry-after': reply.retryAfter } : {};
          return json(reply.status, errorBody(provider, reply.status, key), extra);
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        if (reply.kind === 'stall') {
          stalled.add(res);
          res.on('close', () => stalled.delete(res));
          return;
        }
        const model =
          provider === 'google'
            ? (path.match(/models\/([^/:]+):/)?.[1] ?? '')
            : String((body as { model?: unknown }).model ?? '');
        for (const event of sseEvents(provider, model, reply)) {
          res.write(event);
          await new Promise((r) => setTimeout(r, CHUNK_GAP_MS));
        }
        res.end();
      };
      handle().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });

  const servers = {
    openai: providerServer('openai'),
    anthropic: providerServer('anthropic'),
    google: providerServer('google'),
    openrouter: providerServer('openrouter'),
  };
  const origins = {
    openai: await listen(servers.openai),
    anthropic: await listen(servers.anthropic),
    google: await listen(servers.google),
    openrouter: await listen(servers.openrouter),
  };

  // Control: POST /script {key, replies} queues replies; POST /requests {key} returns what arrived.
  const control = createServer((req, res) => {
    const handle = async () => {
      const body = JSON.parse((await readBody(req)) || '{}') as { key?: string; replies?: ScriptedReply[] };
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/script' && body.key && body.replies) {
        scripts.set(body.key, [...(scripts.get(body.key) ?? []), ...body.replies]);
        return res.end('{"ok":true}');
      }
      if (req.method === 'POST' && req.url === '/requests' && body.key !== undefined) {
        return res.end(JSON.stringify({ requests: recorded.get(body.key) ?? [] }));
      }
      res.statusCode = 404;
      res.end('{"error":"unknown"}');
    };
    handle().catch((err: unknown) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: String(err) }));
    });
  });
  const controlUrl = await listen(control);

  return {
    baseUrls: {
      openai: `${origins.openai}/v1`,
      anthropic: `${origins.anthropic}/v1`,
      google: `${origins.google}/v1beta`,
      openrouter: `${origins.openrouter}/api/v1`,
    },
    controlUrl,
    async close() {
      for (const res of stalled) res.destroy();
      await Promise.all(
        [...Object.values(servers), control].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
