import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where `airlock login` keeps the session: `$XDG_CONFIG_HOME/airlock/credentials.json` (default
 * `~/.config`; `%APPDATA%` on Windows), the directory 0700 and the file 0600, since the refresh token
 * in it is a credential.
 */

export const DEFAULT_URL = 'http://127.0.0.1:8787';

export interface StoredSession {
  url: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CONFIG_HOME ||
    (process.platform === 'win32' && env.APPDATA ? env.APPDATA : join(env.HOME || homedir(), '.config'));
  return join(base, 'airlock');
}

export const credentialsPath = (env?: NodeJS.ProcessEnv) => join(configDir(env), 'credentials.json');

export async function loadSession(env?: NodeJS.ProcessEnv): Promise<StoredSession | undefined> {
  try {
    return JSON.parse(await readFile(credentialsPath(env), 'utf8')) as StoredSession;
  } catch {
    return undefined;
  }
}

export async function saveSession(session: StoredSession, env?: NodeJS.ProcessEnv): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = credentialsPath(env);
  // Written 0600 from the start (mode applies on creation), and chmod'ed in case the file existed.
  await writeFile(path, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

export async function forgetSession(env?: NodeJS.ProcessEnv): Promise<void> {
  await rm(credentialsPath(env), { force: true });
}
