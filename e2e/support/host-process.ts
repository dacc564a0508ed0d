/**
 * Starts a real sandbox host (`node sandbox-host/src/main.ts`) as a child process on 127.0.0.1 with an
 * ephemeral port, and tears it down: used by the edge run tests' global setup, the e2e suite and the
 * bench. The port comes from the host's own "listening" log line, so nothing races for a port.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../sandbox-host/src/main.ts', import.meta.url));

export interface HostProcess {
  id: string;
  /** ws://127.0.0.1:PORT, the form SANDBOX_HOSTS takes. */
  url: string;
  http: string;
  port: number;
  child: ChildProcess;
  /** SIGKILL, as a crash would; then removes the containers it left behind. */
  kill(): Promise<void>;
  /** SIGTERM (the host drains and exits), SIGKILL after `graceMs`; then removes leftovers. */
  stop(graceMs?: number): Promise<void>;
}

export async function startHostProcess(options: {
  edgePublicJwk: string;
  env?: Record<string, string>;
  id?: string;
  startTimeoutMs?: number;
}): Promise<HostProcess> {
  const id = options.id ?? `edge-test-${randomUUID().slice(0, 8)}`;
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      HOST_ID: id,
      EDGE_PUBLIC_JWK: options.edgePublicJwk,
      POOL_SIZE: '0',
      ...options.env,
      // The port is read from the info-level "listening" line.
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      // It may have warmed its pool before we gave up: leave no container behind.
      void removeContainers(id).finally(() =>
        reject(new Error(`sandbox host ${id} did not start in time: ${log}`)),
      );
    }, options.startTimeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox host ${id} exited with ${code}: ${log}${buffered.slice(-2000)}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (const line of buffered.split('\n')) {
        if (!line.includes('sandbox host listening')) continue;
        try {
          const port = (JSON.parse(line) as { port?: number }).port;
          if (typeof port === 'number') {
            clearTimeout(timer);
            resolve(port);
          }
        } catch {
          // A partial line: wait for the rest.
        }
      }
      if (buffered.length > 100_000) buffered = buffered.slice(-10_000);
    });
  });
  child.stdout?.resume();
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
  const finish = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    await removeContainers(id);
  };
  return {
    id,
    url: `ws://127.0.0.1:${port}`,
    http: `http://127.0.0.1:${port}`,
    port,
    child,
    kill: () => finish('SIGKILL', 0),
    stop: (graceMs = 35_000) => finish('SIGTERM', graceMs),
  };
}

/** Containers labelled as belonging to host `id` (running or not). */
export async function containersOf(id: string): Promise<string[]> {
  const { stdout } = await run('docker', [
    'ps',
    '-aq',
    '--filter',
    'label=airlock.managed=true',
    '--filter',
    `label=airlock.host=${id}`,
  ]);
  return stdout.split('\n').filter(Boolean);
}

export async function removeContainers(id: string): Promise<void> {
  const ids = await containersOf(id);
  if (ids.length > 0) await run('docker', ['rm', '-f', ...ids]).catch(() => undefined);
}
