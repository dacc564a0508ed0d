import { AirlockClient, AirlockError } from '@airlock/client';
import { DEFAULT_URL, loadSession, type StoredSession, saveSession } from './config.ts';

/**
 * Who the CLI acts as, and where: AIRLOCK_URL, else the URL of the stored login, else the local
 * default; AIRLOCK_API_KEY, else the stored login (`airlock login`), whose access token is renewed
 * with its refresh token when it has expired.
 */

/** A failure of the CLI itself, with its message and exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The CLI's own exit codes; a run's exit code is the program's. */
export const EXIT = {
  usage: 2,
  api: 1,
  /** EX_TEMPFAIL: rate limited or busy, try again later. */
  retryLater: 75,
  /** EX_UNAVAILABLE: no sandbox, or the server cannot be reached. */
  unavailable: 69,
} as const;

export interface Context {
  env: NodeJS.ProcessEnv;
  url: string;
  json: boolean;
  /** --wait: a refusal that says when to retry (429, 503 with Retry-After) is waited out, then retried. */
  wait: boolean;
}

/** How many refusals in a row --wait waits out before giving up with the last one. */
const MAX_WAITS = 5;

const retryable = (err: unknown): err is AirlockError & { retryAfterSeconds: number } =>
  err instanceof AirlockError &&
  (err.status === 429 || err.status === 503) &&
  err.retryAfterSeconds !== undefined;

/**
 * Calls `create`; with --wait, a refusal with Retry-After is waited out (saying so on stderr) and the
 * call made again. Only for calls that create something: a refused call created nothing, so repeating
 * it cannot run a program twice.
 */
export async function retrying<T>(ctx: Context, create: () => Promise<T>): Promise<T> {
  for (let waits = 0; ; waits++) {
    try {
      return await create();
    } catch (err) {
      if (!ctx.wait || waits >= MAX_WAITS || !retryable(err)) throw err;
      const what = err.status === 429 ? `rate limited (${err.code})` : `busy (${err.code})`;
      process.stderr.write(
        `airlock: ${what}; waiting ${err.retryAfterSeconds} s, then trying again (--wait)\n`,
      );
      await new Promise((resolve) => setTimeout(resolve, err.retryAfterSeconds * 1000));
    }
  }
}

export async function resolveUrl(env: NodeJS.ProcessEnv, flag: string | undefined): Promise<string> {
  return (flag || env.AIRLOCK_URL || (await loadSession(env))?.url || DEFAULT_URL).replace(/\/+$/, '');
}

export const NOT_LOGGED_IN =
  'not logged in: run `airlock login`, or set AIRLOCK_API_KEY to an API key (ak_...)';

/** Calls `work` with a client for the caller; a stored session is refreshed once on a 401. */
export async function withClient<T>(
  ctx: Context,
  work: (client: AirlockClient) => Promise<T>,
  options: { sessionOnly?: string } = {},
): Promise<T> {
  const apiKey = ctx.env.AIRLOCK_API_KEY?.trim();
  const stored = await loadSession(ctx.env);
  if (apiKey && !options.sessionOnly) return work(new AirlockClient({ baseUrl: ctx.url, apiKey }));
  if (!stored || stored.url !== ctx.url) {
    throw new CliError(options.sessionOnly && apiKey ? options.sessionOnly : NOT_LOGGED_IN, EXIT.usage);
  }
  const client = new AirlockClient({ baseUrl: ctx.url, accessToken: stored.accessToken });
  try {
    return await work(client);
  } catch (err) {
    if (!(err instanceof AirlockError) || err.status !== 401) throw err;
    let renewed: StoredSession;
    try {
      const session = await client.refresh(stored.refreshToken);
      renewed = { ...stored, accessToken: session.accessToken, refreshToken: session.refreshToken };
    } catch {
      throw new CliError(`your login has expired: run \`airlock login\` again`, EXIT.usage);
    }
    await saveSession(renewed, ctx.env);
    return work(client);
  }
}

/** A one-line, human message for any failure, and the exit code that goes with it. */
export function describeFailure(err: unknown, url: string): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof AirlockError) {
    const wait =
      err.retryAfterSeconds === undefined
        ? ''
        : ` Try again in ${err.retryAfterSeconds} s (--wait waits and retries).`;
    if (err.status === 429)
      return { message: `rate limited (${err.code}): ${err.message}${wait}`, exitCode: EXIT.retryLater };
    if (err.status === 503) return { message: `${err.message}${wait}`, exitCode: EXIT.unavailable };
    if (err.status === 401)
      return { message: `not authorized: ${err.message} (${NOT_LOGGED_IN})`, exitCode: EXIT.usage };
    const id = err.requestId ? ` [request ${err.requestId}]` : '';
    return { message: `${err.message} (${err.code}, HTTP ${err.status})${id}`, exitCode: EXIT.api };
  }
  // fetch() fails with a TypeError whose cause says why (ECONNREFUSED, ENOTFOUND, ...).
  if (err instanceof TypeError && err.message === 'fetch failed') {
    const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
    const why = cause?.code ?? cause?.errors?.[0]?.code ?? 'network error';
    return { message: `cannot reach ${url} (${why}); is AIRLOCK_URL right?`, exitCode: EXIT.unavailable };
  }
  return { message: err instanceof Error ? err.message : String(err), exitCode: EXIT.api };
}
