import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModel } from 'ai';
import type { Provider } from '../domain/crypto/provider-key-cipher.ts';

/**
 * One language model of the caller's chosen provider, through the AI SDK, for one task. The key and
 * the base URL are always passed explicitly: the SDK would otherwise fall back to environment
 * variables (`OPENAI_API_KEY` …), and the base URL is the operator's setting, never user input.
 * OpenAI and OpenRouter use chat completions, the API every OpenAI-compatible server speaks.
 */
export interface ModelTarget {
  provider: Provider;
  model: string;
  baseUrl: string;
  /** The caller's provider key, decrypted for this task only. */
  apiKey: string;
}

export function languageModel(target: ModelTarget): LanguageModel {
  const { apiKey, baseUrl: baseURL } = target;
  switch (target.provider) {
    case 'openai':
      return createOpenAI({ apiKey, baseURL }).chat(target.model);
    case 'openrouter':
      return createOpenAI({ apiKey, baseURL, name: 'openrouter' }).chat(target.model);
    case 'anthropic':
      return createAnthropic({ apiKey, baseURL })(target.model);
    case 'google':
      return createGoogleGenerativeAI({ apiKey, baseURL })(target.model);
  }
}
