import { type ModelMessage, streamText } from 'ai';
import { classifyProviderError, describeFailure, type ProviderFailure } from './errors.ts';
import { languageModel, type ModelTarget } from './models.ts';

/**
 * One streamed model call: text deltas go to `onToken` as they arrive, in order; the outcome is the
 * whole text with the token usage and the provider latency (time to the first token), or a
 * classified failure. The SDK's own retries are off (a retry would spend the user's quota behind
 * their back) and its default error logging is replaced: the error objects carry provider bodies.
 */
export interface ModelCall {
  target: ModelTarget;
  system: string;
  messages: ModelMessage[];
  maxOutputTokens: number;
  /** Absolute deadline (epoch ms); the call is aborted then. */
  deadline: number;
  onToken: (text: string) => void;
}

export type ModelOutcome =
  | { ok: true; text: string; inputTokens: number; outputTokens: number; firstTokenMs: number | null }
  | { ok: false; failure: ProviderFailure; log: Record<string, unknown> };

export async function callModel(call: ModelCall, now: () => number = Date.now): Promise<ModelOutcome> {
  const started = now();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      controller.abort();
    },
    Math.max(0, call.deadline - started),
  );
  let text = '';
  let firstTokenMs: number | null = null;
  let failure: unknown;
  let usage = { inputTokens: 0, outputTokens: 0 };
  try {
    const result = streamText({
      model: languageModel(call.target),
      system: call.system,
      messages: call.messages,
      maxOutputTokens: call.maxOutputTokens,
      maxRetries: 0,
      abortSignal: controller.signal,
      onError: () => undefined,
    });
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta' && part.text.length > 0) {
        firstTokenMs ??= now() - started;
        text += part.text;
        call.onToken(part.text);
      } else if (part.type === 'error') {
        failure = part.error;
        break;
      } else if (part.type === 'abort') {
        failure = new DOMException('aborted', 'AbortError');
        break;
      } else if (part.type === 'finish') {
        usage = {
          inputTokens: part.totalUsage.inputTokens ?? 0,
          outputTokens: part.totalUsage.outputTokens ?? 0,
        };
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    clearTimeout(timer);
  }
  if (failure !== undefined || timedOut) {
    return { ok: false, failure: classifyProviderError(failure, timedOut), log: describeFailure(failure) };
  }
  return { ok: true, text, ...usage, firstTokenMs };
}
