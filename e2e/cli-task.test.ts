/**
 * `airlock task` (issue 17) against the running stack, the caller's model being the local
 * OpenAI-compatible provider (support/openai-server.ts): the model's tokens stream to stderr, then
 * the program's stdout and stderr apart, and the CLI exits with the final run's exit code; a failed
 * attempt goes back to the model; --json; a provider's 429 shows its wait, and --wait waits it out.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { airlockCli } from './support/cli.ts';
import { Client } from './support/client.ts';
import {
  freshProviderKey,
  programReply,
  type ScriptedReply,
  scriptReplies,
} from './support/openai-server.ts';

const { edgeUrl, openaiControlUrl } = inject('system');

let env: Record<string, string> = {};
let providerKey = '';
const script = (...replies: ScriptedReply[]) => scriptReplies(openaiControlUrl, providerKey, ...replies);
const task = (args: string[]) =>
  airlockCli(edgeUrl, ['task', ...args, '--provider', 'openai', '--model', 'local-coder'], { env });
const textOf = (reply: ScriptedReply) => (reply.kind === 'text' ? reply.chunks.join('') : '');

beforeAll(async () => {
  const client = new Client(edgeUrl);
  await client.signUp();
  providerKey = freshProviderKey();
  const stored = await client.call('PUT', '/v1/provider-keys/openai', { key: providerKey });
  expect(stored.status).toBe(201);
  const minted = await client.call('POST', '/v1/api-keys', {
    name: `cli-task-${randomUUID()}`,
    scopes: ['tasks:write', 'tasks:read'],
  });
  env = { AIRLOCK_API_KEY: minted.json.key, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'airlock-task-')) };
});

describe('airlock task', () => {
  it("streams the model's tokens, then the program's output apart; exits with the run's code", async () => {
    const reply = programReply('import sys\nprint("out")\nprint("err", file=sys.stderr)\nsys.exit(3)');
    await script(reply);
    const res = await task(['print out and err,', 'then exit 3']);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stdout).toBe('out\n');
    // Tokens first (the model's whole text), then the run, its stderr, and the outcome.
    const tokens = res.stderr.indexOf(textOf(reply));
    const running = res.stderr.indexOf('airlock: running main.py (attempt 1)');
    const err = res.stderr.indexOf('err\n', running);
    expect(tokens).toBe(0);
    expect(running).toBeGreaterThan(tokens);
    expect(err).toBeGreaterThan(running);
    expect(res.stderr.slice(err)).toMatch(/^err\nairlock: task [\w-]+ failed after 1 attempt; 42 tokens in/);
  });

  it('--json: a failed attempt goes back to the model; the exit code is the final run’s', async () => {
    await script(programReply('import sys\nsys.exit("first try failed")'), programReply('print("fixed")'));
    const res = await airlockCli(
      edgeUrl,
      ['--json', 'task', 'fix it', '--provider', 'openai', '--model', 'local-coder', '--attempts', '2'],
      { env },
    );
    expect(res.code, res.stderr).toBe(0);
    const shown = JSON.parse(res.stdout);
    expect(shown).toMatchObject({ status: 'succeeded', prompt: 'fix it', maxAttempts: 2 });
    expect(shown.runs.map((r: { stdout: string; exitCode: number }) => [r.exitCode, r.stdout])).toEqual([
      [1, ''],
      [0, 'fixed\n'],
    ]);
  });

  it("a provider's 429 shows its wait (exit 75); --wait waits it out and runs", async () => {
    await script({ kind: 'status', status: 429, retryAfter: '2' });
    const refused = await task(['soon']);
    expect(refused).toMatchObject({ code: 75, stdout: '' });
    expect(refused.stderr).toMatch(/rate limited \(provider_rate_limited\).*Try again in 2 s/);

    await script({ kind: 'status', status: 429, retryAfter: '2' }, programReply('print("after the wait")'));
    const waited = await airlockCli(
      edgeUrl,
      ['--wait', 'task', 'soon', '--provider', 'openai', '--model', 'local-coder'],
      { env },
    );
    expect(waited.stderr).toMatch(/rate limited \(provider_rate_limited\); waiting 2 s, then trying again/);
    expect(waited).toMatchObject({ code: 0, stdout: 'after the wait\n' });
  });

  it('without --provider or --model: a usage error, exit 2, before any request', async () => {
    const res = await airlockCli(edgeUrl, ['task', 'hello', '--model', 'x'], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--provider is one of openai, anthropic, openrouter, google/);
    const noModel = await airlockCli(edgeUrl, ['task', 'hello', '--provider', 'openai'], { env });
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toMatch(/--model is required/);
  });
});
