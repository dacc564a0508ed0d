/** Runs the `airlock` CLI as a user would (node + its bin, an argument array), capturing its output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = fileURLToPath(new URL('../../cli/bin/airlock.js', import.meta.url));

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as it arrived, chunk by chunk (live streaming writes each frame as it comes). */
  chunks: string[];
}

/** `airlock ...args` against `edgeUrl` (AIRLOCK_URL), with only PATH and `env` from outside. */
export function airlockCli(
  edgeUrl: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', AIRLOCK_URL: edgeUrl, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const chunks: string[] = [];
    child.stdout.on('data', (d) => {
      stdout += String(d);
      chunks.push(String(d));
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, chunks }));
    child.stdin.end(options.input ?? '');
  });
}
