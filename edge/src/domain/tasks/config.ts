import { z } from 'zod';
import { rateSettingVar, settingVar } from '../../lib/config-vars.ts';
import { RATE_LIMITS, SETTINGS } from '../../limits.ts';
import type { RateRule } from '../auth/rate-limit.ts';
import { PROVIDERS, type Provider } from '../crypto/provider-key-cipher.ts';

/**
 * AI task configuration (issue 13), parsed with the rest of the Worker vars in config.ts. The
 * providers' base URLs are operator settings (never user input; defaults are the public endpoints),
 * so a developer can point Airlock at a local OpenAI-compatible server. Which models exist is
 * `TASK_MODELS_<PROVIDER>`: a comma list, `*` meaning any model (for OpenAI-compatible servers);
 * absent or empty means the provider offers no model. Every limit has a safe default.
 */

export interface TaskLimits {
  /** Prompt size in UTF-8 bytes (default 32 KiB). */
  readonly maxPromptBytes: number;
  /** The most output tokens one model call may produce (default 4,096). */
  readonly maxOutputTokens: number;
  /** The most attempts (program + run) a task may make (default 3; a request asks for 1 to this). */
  readonly maxAttempts: number;
  /** The whole task: every model call and run (default 120 s). */
  readonly timeoutMs: number;
}

export interface TaskConfig {
  readonly baseUrls: Readonly<Record<Provider, string>>;
  /** Model ids per provider; a set holding `*` allows any id. */
  readonly models: Readonly<Record<Provider, ReadonlySet<string>>>;
  /** Task creations per user (default 10 per minute). */
  readonly createRate: RateRule;
  readonly limits: TaskLimits;
}

export const PUBLIC_BASE_URLS: Record<Provider, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  google: 'https://generativelanguage.googleapis.com/v1beta',
  openrouter: 'https://openrouter.ai/api/v1',
};

/** An http(s) base URL without query or fragment; the default when absent. */
const baseUrl = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : v.trim().replace(/\/+$/, '')))
    .pipe(
      z.url({ protocol: /^https?$/ }).refine((v) => {
        // zod runs this refinement even when the URL check above failed: parse defensively.
        const url = URL.parse(v);
        return (
          url !== null && url.search === '' && url.hash === '' && url.username === '' && url.password === ''
        );
      }, 'must be an http(s) base URL without credentials, query or fragment'),
    );

const MODEL_ID = /^[A-Za-z0-9._:/@-]{1,128}$/;
const modelList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .pipe(
    z.array(z.string().refine((m) => m === '*' || MODEL_ID.test(m), 'model ids: [A-Za-z0-9._:/@-], or *')),
  );

export const taskConfigShape = {
  OPENAI_BASE_URL: baseUrl(PUBLIC_BASE_URLS.openai),
  ANTHROPIC_BASE_URL: baseUrl(PUBLIC_BASE_URLS.anthropic),
  GOOGLE_BASE_URL: baseUrl(PUBLIC_BASE_URLS.google),
  OPENROUTER_BASE_URL: baseUrl(PUBLIC_BASE_URLS.openrouter),
  TASK_MODELS_OPENAI: modelList,
  TASK_MODELS_ANTHROPIC: modelList,
  TASK_MODELS_GOOGLE: modelList,
  TASK_MODELS_OPENROUTER: modelList,
  RATE_LIMIT_TASKS: rateSettingVar(RATE_LIMITS.tasks),
  TASK_MAX_PROMPT_BYTES: settingVar(SETTINGS.taskMaxPromptBytes),
  TASK_MAX_OUTPUT_TOKENS: settingVar(SETTINGS.taskMaxOutputTokens),
  TASK_MAX_ATTEMPTS: settingVar(SETTINGS.taskMaxAttempts),
  TASK_TIMEOUT_MS: settingVar(SETTINGS.taskTimeoutMs),
};

type Parsed = { [K in keyof typeof taskConfigShape]: z.output<(typeof taskConfigShape)[K]> };

export function toTaskConfig(v: Parsed): TaskConfig {
  const models = (list: string[]) => Object.freeze(new Set(list)) as ReadonlySet<string>;
  return Object.freeze({
    baseUrls: Object.freeze({
      openai: v.OPENAI_BASE_URL,
      anthropic: v.ANTHROPIC_BASE_URL,
      google: v.GOOGLE_BASE_URL,
      openrouter: v.OPENROUTER_BASE_URL,
    }),
    models: Object.freeze({
      openai: models(v.TASK_MODELS_OPENAI),
      anthropic: models(v.TASK_MODELS_ANTHROPIC),
      google: models(v.TASK_MODELS_GOOGLE),
      openrouter: models(v.TASK_MODELS_OPENROUTER),
    }),
    createRate: v.RATE_LIMIT_TASKS,
    limits: Object.freeze({
      maxPromptBytes: v.TASK_MAX_PROMPT_BYTES,
      maxOutputTokens: v.TASK_MAX_OUTPUT_TOKENS,
      maxAttempts: v.TASK_MAX_ATTEMPTS,
      timeoutMs: v.TASK_TIMEOUT_MS,
    }),
  });
}

/** Whether the operator offers this model of this provider. */
export function modelAllowed(config: TaskConfig, provider: Provider, model: string): boolean {
  const allowed = config.models[provider];
  return MODEL_ID.test(model) && (allowed.has('*') || allowed.has(model));
}

export { PROVIDERS };
