/**
 * The pure parts of tasks: taking the program from a reply, the provider failure classification and
 * Retry-After, the operator's model list and base URLs.
 */

import { env } from 'cloudflare:test';
import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { modelAllowed, PUBLIC_BASE_URLS } from '../../src/domain/tasks/config.ts';
import { extractProgram, FEEDBACK_STDERR_CHARS, fixPrompt } from '../../src/domain/tasks/program.ts';
import {
  classifyProviderError,
  DEFAULT_RETRY_AFTER_SECONDS,
  retryAfter,
} from '../../src/providers/errors.ts';

describe('extractProgram', () => {
  it('takes the block tagged with the language over an earlier untagged one', () => {
    const reply = 'Try:\n```\necho no\n```\nor\n```python\nprint(1)\n```\n';
    expect(extractProgram(reply, 'python')).toEqual([{ name: 'main.py', content: 'print(1)' }]);
  });
  it('accepts the py alias, tildes and longer fences', () => {
    expect(extractProgram('~~~py\nprint(2)\n~~~', 'python')?.[0]?.content).toBe('print(2)');
    expect(extractProgram('````python\nprint("```")\n````', 'python')?.[0]?.content).toBe('print("```")');
  });
  it('falls back to the first block; prose alone or an empty block is no program', () => {
    expect(extractProgram('```\nprint(3)\n```', 'python')?.[0]?.content).toBe('print(3)');
    expect(extractProgram('print(4)', 'python')).toBeUndefined();
    expect(extractProgram('```python\n\n```', 'python')).toBeUndefined();
  });
});

describe('fixPrompt', () => {
  it('carries the exit status and the end of stderr, bounded', () => {
    const stderr = `${'x'.repeat(FEEDBACK_STDERR_CHARS)}TAIL`;
    const text = fixPrompt({ status: 'failed', exitCode: 3, stderr });
    expect(text).toContain('exited with status 3');
    expect(text).toContain('TAIL');
    expect(text.length).toBeLessThan(FEEDBACK_STDERR_CHARS + 300);
  });
});

describe('provider failures', () => {
  const apiError = (statusCode: number, headers: Record<string, string> = {}, body = '') =>
    new APICallError({
      message: `echo ${body}`,
      url: 'http://x',
      requestBodyValues: {},
      statusCode,
      responseHeaders: headers,
      responseBody: body,
    });

  it('maps statuses to codes, never keeping the message', () => {
    expect(classifyProviderError(apiError(401), false)).toEqual({
      code: 'provider_auth_failed',
      status: 401,
    });
    expect(classifyProviderError(apiError(403), false)).toEqual({
      code: 'provider_auth_failed',
      status: 403,
    });
    expect(classifyProviderError(apiError(400, {}, '{"reason":"API_KEY_INVALID"}'), false).code).toBe(
      'provider_auth_failed',
    );
    expect(classifyProviderError(apiError(400, {}, 'bad prompt'), false).code).toBe('provider_error');
    expect(classifyProviderError(apiError(429, { 'retry-after': '9' }), false)).toEqual({
      code: 'provider_rate_limited',
      retryAfterSeconds: 9,
    });
    expect(classifyProviderError(apiError(500), false)).toEqual({ code: 'provider_error', status: 500 });
    expect(classifyProviderError(new Error('whatever'), true)).toEqual({ code: 'provider_timeout' });
  });

  it('reads Retry-After as seconds or an HTTP date, bounded, with a default', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfter({ 'retry-after': '20' }, now)).toBe(20);
    expect(retryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:01:00 GMT' }, now)).toBe(60);
    expect(retryAfter({ 'retry-after': '999999' }, now)).toBe(3600);
    expect(retryAfter({ 'retry-after': 'soon' }, now)).toBe(DEFAULT_RETRY_AFTER_SECONDS);
    expect(retryAfter(undefined, now)).toBe(DEFAULT_RETRY_AFTER_SECONDS);
  });
});

describe('task configuration', () => {
  const base = env as unknown as Record<string, unknown>;
  const tasks = (vars: Record<string, string | undefined>) => {
    const parsed = parseConfig({ ...base, ...vars });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    return parsed.config.tasks;
  };

  it('defaults to the public endpoints and offers no model unless listed', () => {
    const cfg = tasks({
      OPENAI_BASE_URL: undefined,
      ANTHROPIC_BASE_URL: undefined,
      GOOGLE_BASE_URL: undefined,
      OPENROUTER_BASE_URL: undefined,
      TASK_MODELS_GOOGLE: undefined,
    });
    expect(cfg.baseUrls).toEqual(PUBLIC_BASE_URLS);
    expect(modelAllowed(cfg, 'google', 'gemini-local-1')).toBe(false);
  });

  it('a list allows exactly its models; * allows any well-formed id', () => {
    const cfg = tasks({ TASK_MODELS_ANTHROPIC: 'a-1, b-2', TASK_MODELS_OPENAI: '*' });
    expect(modelAllowed(cfg, 'anthropic', 'b-2')).toBe(true);
    expect(modelAllowed(cfg, 'anthropic', 'c-3')).toBe(false);
    expect(modelAllowed(cfg, 'openai', 'qwen2.5-coder:7b')).toBe(true);
    expect(modelAllowed(cfg, 'openai', 'bad model\n')).toBe(false);
  });

  it('a base URL with credentials, a query or another scheme fails the configuration', () => {
    for (const bad of [
      'http://u:p@127.0.0.1/v1',
      'https://x.example/v1?k=1',
      'ftp://x.example',
      'not a url',
    ]) {
      const parsed = parseConfig({ ...base, OPENAI_BASE_URL: bad });
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.problems.join()).toContain('OPENAI_BASE_URL');
    }
  });
});
