import type { RunRow } from '../../repositories/runs.ts';
import type { TaskRow } from '../../repositories/tasks.ts';
import { type RunView, runView } from '../runs/view.ts';

/**
 * The task as its owner sees it: prompt, model, the programs the model wrote (per attempt), the runs,
 * final status, token usage and provider latency. Lists leave out the prompt and the programs.
 */
export interface TaskView {
  id: string;
  provider: string;
  model: string;
  language: string;
  status: string;
  errorCode: string | null;
  maxAttempts: number;
  usage: { inputTokens: number; outputTokens: number };
  /** Time to the first token of each model call, in order. */
  providerLatencyMs: (number | null)[];
  createdAt: string;
  finishedAt: string | null;
  prompt?: string;
  attempts?: TaskRow['attempts'];
  runs?: RunView[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function taskView(row: TaskRow, detail?: { runs: RunRow[] }): TaskView {
  const base: TaskView = {
    id: row.id,
    provider: row.provider,
    model: row.model,
    language: row.language,
    status: row.status,
    errorCode: row.errorCode,
    maxAttempts: row.maxAttempts,
    usage: { inputTokens: row.inputTokens, outputTokens: row.outputTokens },
    providerLatencyMs: row.attempts.map((a) => a.firstTokenMs),
    createdAt: iso(row.createdAt) as string,
    finishedAt: iso(row.finishedAt),
  };
  if (!detail) return base;
  return { ...base, prompt: row.prompt, attempts: row.attempts, runs: detail.runs.map((r) => runView(r)) };
}
