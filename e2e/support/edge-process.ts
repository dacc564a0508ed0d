/**
 * Starts the edge as a user would run it locally: `wrangler dev` on 127.0.0.1 (own port, own
 * inspector port, state persisted to a temp dir with the real migrations applied), secrets and the
 * sandbox-host wiring from an env file in that temp dir. Killed as a process group in teardown, so
 * workerd goes with it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './host-process.ts';

const run = promisify(execFile);
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');

export interface EdgeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startEdgeProcess(options: {
  stateDir: string;
  vars: Record<string, string>;
  startTimeoutMs?: number;
  /** A port chosen beforehand (e.g. for the OAuth callback URL in `vars`); default: a free one. */
  port?: number;
}): Promise<EdgeProcess> {
  const envFile = join(options.stateDir, 'edge.env');
  // Single quotes keep JSON literal in dotenv syntax; none of our values contain one.
  writeFileSync(
    envFile,
    Object.entries(options.vars)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n'),
    { mode: 0o600 },
  );
  const persist = join(options.stateDir, 'state');
  const childEnv = {
    ...process.env,
    // Wrangler needs Node 22: the one in node_modules/.bin, whatever `node` the caller's PATH has.
    PATH: `${join(ROOT, 'node_modules/.bin')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    CI: '1',
    WRANGLER_SEND_METRICS: 'false',
    // wrangler's local trace collector (every invocation's events streamed to a collector worker in
    // the same workerd) costs a third of the edge's CPU per run and nothing here reads it (issue 18).
    X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? 'false',
    NO_UPDATE_NOTIFIER: '1',
  };
  await run(WRANGLER, ['d1', 'migrations', 'apply', 'airlock', '--local', '--persist-to', persist], {
    cwd: ROOT,
    env: childEnv,
  });
  const port = options.port ?? (await freePort());
  const inspector = await freePort();
  const child = spawn(
    WRANGLER,
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--persist-to',
      persist,
      '--env-file',
      envFile,
      '--show-interactive-dev-session=false',
    ],
    { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  const until = Date.now() + (options.startTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited: ${log}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      // Not up yet.
    }
    if (Date.now() > until) {
      await stop();
      throw new Error(`wrangler dev did not answer /healthz in time: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, child, stop };
}
