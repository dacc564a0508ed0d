import {
  FileNameSchema,
  LIMITS,
  type RunRequest,
  RunRequestSchema,
  type SourceFile,
} from '@airlock/protocol';
import { findPistonRuntime, type PistonRuntime } from './runtimes.ts';

/**
 * Piston's POST /api/v2/execute body → Airlock's run request. Checks and messages follow Piston's
 * get_job (api/src/api/v2.js) so clients see the errors they know; where Airlock differs it says so:
 * - the entry point is Piston's: the first utf8 file, stored under the runtime's file name
 *   (`main.py`, `main.c`, ...) and sent first (Airlock runs a run's first file);
 * - base64 and hex files must decode to UTF-8 text (run files are text on Airlock's wire);
 * - `-1` ("unlimited" on Piston) means Airlock's maximum; `run_timeout` and `run_memory_limit`
 *   (bytes, rounded up to whole MiB) set the run's limits; compile limits and CPU times are checked
 *   and otherwise Airlock's own (compilers run under the runtime's compile limits);
 * - stdin gets a trailing newline, as Piston adds one.
 */

export type PistonParse =
  | { ok: true; request: RunRequest; runtime: PistonRuntime }
  | { ok: false; message: string };

const fail = (message: string): PistonParse => ({ ok: false, message });
const MIB = 1024 * 1024;
const ENCODINGS = ['utf8', 'base64', 'hex'] as const;
type Encoding = (typeof ENCODINGS)[number];

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^(?:[0-9A-Fa-f]{2})*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** A file's text, or undefined when its encoding is malformed or it is not UTF-8 once decoded. */
function decodeContent(content: string, encoding: Encoding): string | undefined {
  if (encoding === 'utf8') return content;
  let bytes: Uint8Array;
  if (encoding === 'hex') {
    if (!HEX.test(content)) return undefined;
    bytes = new Uint8Array(content.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(content.slice(2 * i, 2 * i + 2), 16);
  } else {
    const compact = content.replace(/\s+/g, '');
    if (!BASE64.test(compact) || compact.length % 4 === 1) return undefined;
    const binary = atob(compact);
    bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

interface LimitRange {
  max: number;
}

/**
 * One of Piston's numeric constraints: absent or 0 → undefined (the default); -1 → the maximum;
 * otherwise a non-negative number within the maximum, or Piston's message.
 */
function constraint(
  body: Record<string, unknown>,
  name: string,
  range: LimitRange,
): { ok: true; value: number | undefined } | { ok: false; message: string } {
  const value = body[name];
  if (value === undefined || value === null || value === 0) return { ok: true, value: undefined };
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { ok: false, message: `If specified, ${name} must be a number` };
  }
  if (value === -1) return { ok: true, value: range.max };
  if (value < 0) return { ok: false, message: `${name} must be non-negative` };
  if (value > range.max) {
    return { ok: false, message: `${name} cannot exceed the configured limit of ${range.max}` };
  }
  return { ok: true, value };
}

export function parsePistonExecute(body: unknown, runtimes: readonly PistonRuntime[]): PistonParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('request body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const { language, version, files, args, stdin } = b;
  if (!language || typeof language !== 'string') return fail('language is required as a string');
  if (!version || typeof version !== 'string') return fail('version is required as a string');
  if (!files || !Array.isArray(files)) return fail('files is required as an array');
  for (const [i, file] of files.entries()) {
    if (typeof file !== 'object' || file === null || typeof file.content !== 'string') {
      return fail(`files[${i}].content is required as a string`);
    }
  }
  const runtime = findPistonRuntime(runtimes, language, version);
  if (!runtime) return fail(`${language}-${version} runtime is unknown`);

  // Piston: an unknown encoding is utf8; the entry point is the first utf8 file.
  const typed = (files as { name?: unknown; content: string; encoding?: unknown }[]).map((f, i) => ({
    name: typeof f.name === 'string' && f.name !== '' ? f.name : `file${i}.code`,
    content: f.content,
    encoding: (ENCODINGS as readonly unknown[]).includes(f.encoding) ? (f.encoding as Encoding) : 'utf8',
  }));
  const entry = typed.findIndex((f) => f.encoding === 'utf8');
  if (entry < 0) return fail('files must include at least one utf8 encoded file');
  if (typed.length > LIMITS.maxFiles) return fail(`files: at most ${LIMITS.maxFiles} files`);

  const entryName = runtime.airlock.fileName ?? typed[entry]?.name ?? 'main';
  const sources: SourceFile[] = [];
  for (const [i, f] of typed.entries()) {
    const content = decodeContent(f.content, f.encoding);
    if (content === undefined) {
      return fail(
        `files[${i}].content is not valid ${f.encoding} of UTF-8 text (binary files are not supported)`,
      );
    }
    const name = i === entry ? entryName : f.name;
    if (!FileNameSchema.safeParse(name).success) {
      return fail(
        `files[${i}].name must be 1-64 of [A-Za-z0-9_.-], not starting with a dot, without directories`,
      );
    }
    if (i !== entry && name === entryName) {
      return fail(`files[${i}].name: ${entryName} is the entry point's name (the first utf8 file)`);
    }
    if (i === entry) sources.unshift({ name, content });
    else sources.push({ name, content });
  }

  if (
    args !== undefined &&
    args !== null &&
    (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))
  ) {
    return fail('args must be an array of strings');
  }
  if (stdin !== undefined && stdin !== null && typeof stdin !== 'string')
    return fail('stdin must be a string');

  const limits = runtime.airlock.limits;
  const maxMemoryBytes = limits.maxMemoryMb * MIB;
  const checks = {
    run_timeout: constraint(b, 'run_timeout', { max: limits.maxTimeoutMs }),
    run_memory_limit: constraint(b, 'run_memory_limit', { max: maxMemoryBytes }),
    run_cpu_time: constraint(b, 'run_cpu_time', { max: limits.maxTimeoutMs }),
    compile_timeout: constraint(b, 'compile_timeout', {
      max: limits.compileTimeoutMs ?? limits.maxTimeoutMs,
    }),
    compile_memory_limit: constraint(b, 'compile_memory_limit', { max: Number.MAX_SAFE_INTEGER }),
    compile_cpu_time: constraint(b, 'compile_cpu_time', { max: Number.MAX_SAFE_INTEGER }),
  };
  for (const check of Object.values(checks)) if (!check.ok) return fail(check.message);
  const timeout = checks.run_timeout.ok ? checks.run_timeout.value : undefined;
  const memory = checks.run_memory_limit.ok ? checks.run_memory_limit.value : undefined;

  let input = typeof stdin === 'string' ? stdin : '';
  if (!input.endsWith('\n')) input += '\n';

  const request = RunRequestSchema.safeParse({
    language: runtime.airlock.language,
    files: sources,
    stdin: input,
    args: (args as string[] | undefined | null) ?? [],
    limits: {
      ...(timeout === undefined ? {} : { timeoutMs: Math.max(LIMITS.minTimeoutMs, Math.ceil(timeout)) }),
      ...(memory === undefined ? {} : { memoryMb: Math.max(LIMITS.minMemoryMb, Math.ceil(memory / MIB)) }),
    },
  });
  if (!request.success) return fail(request.error.issues.map((i) => i.message).join('; '));
  return { ok: true, request: request.data, runtime };
}
