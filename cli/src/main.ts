import { parseArgs } from 'node:util';
import { keysCommand, loginCommand, logoutCommand, runsCommand } from './commands.ts';
import { CliError, type Context, describeFailure, EXIT, resolveUrl } from './context.ts';
import { runCommand } from './run.ts';
import { taskCommand } from './task.ts';

export const USAGE = `usage: airlock [--json] [--url URL] [--wait] COMMAND
  login [--email E] [--password-stdin]   sign in; the session is kept in ~/.config/airlock (0600)
  logout                                 forget the stored session
  run FILE [--stdin FILE] [--language L] [--timeout MS] [-- ARGS...]
                                         run FILE in a sandbox; output streams live, the exit code is the program's
  task "PROMPT" --provider P --model M [--language L] [--attempts N] [--timeout MS]
                                         your model (its key stored in the console) writes a program and
                                         Airlock runs it: tokens stream to stderr, the program's output as
                                         for run; the exit code is the final run's
  runs [--limit N]                       your recent runs
  keys [list | create NAME [--scope S]... | revoke ID]
                                         API keys (needs airlock login)
--wait: when refused for a while (429, 503), wait as long as the server says and try again
environment: AIRLOCK_URL (default http://127.0.0.1:8787), AIRLOCK_API_KEY (instead of airlock login)
`;

const OPTIONS = {
  json: { type: 'boolean' },
  url: { type: 'string' },
  wait: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  email: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  stdin: { type: 'string' },
  language: { type: 'string' },
  timeout: { type: 'string' },
  limit: { type: 'string' },
  provider: { type: 'string' },
  model: { type: 'string' },
  attempts: { type: 'string' },
  scope: { type: 'string', multiple: true },
} as const;

const intOption = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`--${name} takes a whole number`, EXIT.usage);
  return Number(value);
};

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const dashes = argv.indexOf('--');
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  const programArgs = dashes < 0 ? [] : argv.slice(dashes + 1);
  let url = '';
  try {
    const { values, positionals } = parseArgs({ args: own, options: OPTIONS, allowPositionals: true });
    url = await resolveUrl(env, values.url);
    const ctx: Context = { env, url, json: values.json === true, wait: values.wait === true };
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      process.stdout.write(USAGE);
      return command === undefined && !values.help ? EXIT.usage : 0;
    }
    switch (command) {
      case 'login':
        return await loginCommand(ctx, {
          email: values.email,
          passwordStdin: values['password-stdin'] === true,
        });
      case 'logout':
        return await logoutCommand(ctx);
      case 'run': {
        const [file, ...extra] = rest;
        if (!file) throw new CliError('usage: airlock run FILE [--stdin FILE] [-- ARGS...]', EXIT.usage);
        return await runCommand(ctx, {
          file,
          stdin: values.stdin,
          language: values.language,
          timeoutMs: intOption(values.timeout, 'timeout'),
          args: [...extra, ...programArgs],
        });
      }
      case 'task': {
        const prompt = [...rest, ...programArgs].join(' ');
        return await taskCommand(ctx, {
          prompt,
          provider: values.provider,
          model: values.model,
          language: values.language,
          attempts: intOption(values.attempts, 'attempts'),
          timeoutMs: intOption(values.timeout, 'timeout'),
        });
      }
      case 'runs':
        return await runsCommand(ctx, { limit: intOption(values.limit, 'limit') });
      case 'keys':
        return await keysCommand(ctx, rest, values.scope ?? []);
      default:
        throw new CliError(`unknown command ${command}\n${USAGE}`, EXIT.usage);
    }
  } catch (err) {
    const { message, exitCode } =
      err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
        ? { message: `${err.message}\n${USAGE}`, exitCode: EXIT.usage }
        : describeFailure(err, url);
    process.stderr.write(`airlock: ${message}\n`);
    return exitCode;
  }
}
