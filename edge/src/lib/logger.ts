/**
 * JSON log lines on the console (Workers Logs and `wrangler tail` index them). Values under keys that
 * look secret are replaced before anything is written, so a careless call cannot leak a credential.
 */

type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|private|jwk|^key$|ciphertext/i;
const REDACTED = '[redacted]';

/** drizzle puts a failed query's bound parameters (hashes, ciphertext) into its error message. */
const QUERY_PARAMS = /\nparams: [^\n]*/g;
const withoutParams = (text: string | undefined) => text?.replace(QUERY_PARAMS, '\nparams: [redacted]');

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (value instanceof Error) {
    return {
      name: value.name,
      message: withoutParams(value.message),
      stack: withoutParams(value.stack),
      cause: redact(value.cause, depth + 1),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  return value;
}

export type LogSink = (line: string) => void;

export function createLogger(base: LogFields = {}, sink: LogSink = (line) => console.log(line)): Logger {
  const write = (level: string, message: string, fields?: LogFields) =>
    sink(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        message,
        ...(redact({ ...base, ...fields }) as LogFields),
      }),
    );
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, sink),
  };
}
