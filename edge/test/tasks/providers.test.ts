/**
 * The AI SDK inside workerd against the local provider servers, one per provider wire format:
 * tokens arrive in order, usage is reported, the key travels in the provider's own header, and
 * each failure maps to its code without the provider's body.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Provider } from '../../src/domain/crypto/provider-key-cipher.ts';
import { callModel } from '../../src/providers/stream.ts';
import { freshKey, received, script } from './providers-script.ts';

const BASE: Record<Provider, string> = {
  openai: env.OPENAI_BASE_URL,
  anthropic: env.ANTHROPIC_BASE_URL,
  google: env.GOOGLE_BASE_URL,
  openrouter: env.OPENROUTER_BASE_URL,
};
const MODEL: Record<Provider, string> = {
  openai: 'gpt-local',
  anthropic: 'claude-local-1',
  google: 'gemini-local-1',
  openrouter: 'vendor/model-local-1',
};

function call(provider: Provider, apiKey: string, deadlineMs = 10_000) {
  const tokens: string[] = [];
  const outcome = callModel({
    target: { provider, model: MODEL[provider], baseUrl: BASE[provider], apiKey },
    system: 'Reply with one fenced code block.',
    messages: [{ role: 'user', content: 'print hello' }],
    maxOutputTokens: 256,
    deadline: Date.now() + deadlineMs,
    onToken: (t) => tokens.push(t),
  });
  return { tokens, outcome };
}

const AUTH_HEADER: Record<Provider, (key: string) => [string, string]> = {
  openai: (k) => ['authorization', `Bearer ${k}`],
  openrouter: (k) => ['authorization', `Bearer ${k}`],
  anthropic: (k) => ['x-api-key', k],
  google: (k) => ['x-goog-api-key', k],
};

describe.each(['openai', 'anthropic', 'google', 'openrouter'] as const)('provider %s', (provider) => {
  it('streams tokens in order, reports usage, sends the key in its own header only', async () => {
    const key = freshKey(provider);
    await script(key, { kind: 'text', chunks: ['one ', 'two ', 'three'], inputTokens: 7, outputTokens: 3 });
    const { tokens, outcome } = call(provider, key);
    const result = await outcome;
    expect(result).toMatchObject({ ok: true, text: 'one two three', inputTokens: 7, outputTokens: 3 });
    expect(tokens).toEqual(['one ', 'two ', 'three']);

    const [request, ...more] = await received(key);
    expect(more).toEqual([]);
    const [name, value] = AUTH_HEADER[provider](key);
    expect(request?.headers[name]).toBe(value);
    // The key is in that header and nowhere else: not in the URL, not in the body, no other header.
    expect(request?.path).not.toContain(key);
    expect(JSON.stringify(request?.body)).not.toContain(key);
    const others = Object.entries(request?.headers ?? {}).filter(([n]) => n !== name);
    expect(JSON.stringify(others)).not.toContain(key);
    if (provider === 'anthropic') expect(request?.headers['anthropic-version']).toBe('2023-06-01');
  });

  it('invalid key (401) → provider_auth_failed, without the provider body', async () => {
    const key = freshKey(provider);
    await script(key, { kind: 'status', status: 401 });
    const result = await call(provider, key).outcome;
    expect(result).toMatchObject({ ok: false, failure: { code: 'provider_auth_failed' } });
    expect(JSON.stringify(result)).not.toContain(key);
  });

  it('quota (429 with Retry-After) → provider_rate_limited with that delay', async () => {
    const key = freshKey(provider);
    await script(key, { kind: 'status', status: 429, retryAfter: '17' });
    const result = await call(provider, key).outcome;
    expect(result).toMatchObject({
      ok: false,
      failure: { code: 'provider_rate_limited', retryAfterSeconds: 17 },
    });
    // One call only: the SDK's own retries are off.
    expect(await received(key)).toHaveLength(1);
  });

  it('a provider that stalls past the deadline → provider_timeout', async () => {
    const key = freshKey(provider);
    await script(key, { kind: 'stall' });
    const result = await call(provider, key, 300).outcome;
    expect(result).toMatchObject({ ok: false, failure: { code: 'provider_timeout' } });
  });
});
