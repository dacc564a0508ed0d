import type { SourceFile } from '@airlock/protocol';

/**
 * What the model is asked and how its program is taken from the reply. The model's reply is data:
 * the program is passed to a sandbox as a string and nothing else of the reply is interpreted.
 */

/** How much of a failed run's stderr goes back to the model (the end of it, where errors are). */
export const FEEDBACK_STDERR_CHARS = 8000;

export function systemPrompt(language: string): string {
  return [
    `You write complete, self-contained ${language} programs.`,
    `Reply with exactly one fenced code block (\`\`\`${language}) holding the whole program and nothing else.`,
    'The program runs once in a sandbox without network access or input; it prints its results to stdout.',
  ].join(' ');
}

/**
 * The user's prompt with the project the program works with (POST /v1/tasks `files`, `fileIds`):
 * inline files in full, uploaded files by path. All of it goes to the provider the user chose, as
 * the prompt does, and nowhere else.
 */
export function projectPrompt(
  prompt: string,
  files: readonly SourceFile[],
  mountedPaths: readonly string[],
): string {
  if (files.length === 0 && mountedPaths.length === 0) return prompt;
  const parts = [prompt, '', 'The program runs in /work beside these files of the project:'];
  for (const f of files) parts.push('', `${f.name}:`, '```', f.content, '```');
  if (mountedPaths.length > 0)
    parts.push('', 'Uploaded files (paths under /work):', ...mountedPaths.map((p) => `- ${p}`));
  return parts.join('\n');
}

/** The follow-up after a failed run: its exit status and the end of its stderr. */
export function fixPrompt(run: { status: string; exitCode: number | null; stderr: string }): string {
  const stderr = run.stderr.slice(-FEEDBACK_STDERR_CHARS);
  const exit =
    run.exitCode === null ? `ended with status ${run.status}` : `exited with status ${run.exitCode}`;
  return [
    `The program ${exit}. Its stderr:`,
    '```',
    stderr,
    '```',
    'Reply with the corrected complete program in one fenced code block.',
  ].join('\n');
}

/** The follow-up when a reply held no program. */
export const NO_PROGRAM_PROMPT =
  'Your reply held no program. Reply with the complete program in one fenced code block.';

const FENCE = /(^|\n)[ \t]*(`{3,}|~{3,})[ \t]*([^\n`]*)\n([\s\S]*?)\n[ \t]*\2[ \t]*(?=\n|$)/g;

/** Entry file names by language, for the stored history; the run itself gets `code`. */
const ENTRY: Record<string, string> = { python: 'main.py', javascript: 'main.js', node: 'main.js' };

/**
 * The program in a reply: the first fenced block tagged with the language (or an alias), else the
 * first fenced block, else nothing. A reply without a fence is not run: prose is not a program.
 */
export function extractProgram(reply: string, language: string): SourceFile[] | undefined {
  const blocks = [...reply.matchAll(FENCE)].map((m) => ({
    tag: (m[3] ?? '').trim().toLowerCase().split(/\s+/)[0] ?? '',
    body: m[4] ?? '',
  }));
  const aliases = new Set([language, ...(language === 'python' ? ['py', 'python3'] : [])]);
  const chosen = blocks.find((b) => aliases.has(b.tag)) ?? blocks[0];
  if (!chosen || chosen.body.trim() === '') return undefined;
  return [{ name: ENTRY[language] ?? `main.${language}`, content: chosen.body }];
}
