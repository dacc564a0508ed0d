import { PISTON_PREFIXES } from '../routes/piston.ts';
import { arrayOf, type JsonSchema, type OperationSpec, obj, str } from './spec.ts';

/**
 * Piston v2 compatibility (docs/piston.md): Piston's shapes, Piston's `{message}` errors. Written out
 * verbatim (OperationSpec.verbatim) because neither the errors nor the credentials are Airlock's.
 */

const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });

const pistonError: JsonSchema = {
  description: "Any error, in Piston's shape: `{message}` with the status of the Airlock error.",
  content: { 'application/json': { schema: obj({ message: str() }) } },
};

const stage = obj({
  stdout: str(),
  stderr: str(),
  output: str({ description: 'stdout followed by stderr.' }),
  code: nullable('integer'),
  signal: nullable('string'),
  message: nullable('string'),
  status: { type: ['string', 'null'], enum: [null, 'RE', 'SG', 'TO', 'OL', 'EL', 'XX'] },
  memory: { ...nullable('integer'), description: 'Peak memory, bytes.' },
  cpu_time: { ...nullable('number'), description: 'ms' },
  wall_time: { ...nullable('number'), description: 'ms' },
});

const file = obj(
  {
    name: str({ description: 'Default `file<i>.code`; the first utf8 file is the entry point.' }),
    content: str(),
    encoding: { type: 'string', enum: ['utf8', 'base64', 'hex'], default: 'utf8' },
  },
  ['name', 'encoding'],
);
const limit = (what: string): JsonSchema => ({
  type: 'number',
  description: `${what}; -1 means Airlock's maximum, 0 or absent the default.`,
});

const executeBody = obj(
  {
    language: str({ description: 'A language name or alias from GET /api/v2/runtimes.' }),
    version: str({ description: 'An exact version, `*`, or a semver range.' }),
    files: arrayOf(file),
    stdin: str(),
    args: arrayOf(str()),
    compile_timeout: limit('ms, checked against the compile limit'),
    run_timeout: limit('ms'),
    compile_memory_limit: limit('bytes, checked only'),
    run_memory_limit: limit('bytes, rounded up to MiB'),
    compile_cpu_time: limit('ms, checked only'),
    run_cpu_time: limit('ms, checked only'),
  },
  [
    'stdin',
    'args',
    'compile_timeout',
    'run_timeout',
    'compile_memory_limit',
    'run_memory_limit',
    'compile_cpu_time',
    'run_cpu_time',
  ],
);

const runtimesOp = (prefix: string): OperationSpec => ({
  method: 'get',
  path: `${prefix}/runtimes`,
  operationId: prefix === '/api/v2' ? 'pistonRuntimes' : 'pistonRuntimesAlias',
  tag: 'piston',
  summary: "Piston v2: the runtimes, under Piston's language names and aliases",
  description: 'Public, as on Piston; limited per client IP.',
  access: 'public',
  success: [],
  verbatim: {
    security: [],
    responses: {
      '200': {
        description: 'The runtimes.',
        content: {
          'application/json': {
            schema: arrayOf(
              obj({ language: str(), version: str(), aliases: arrayOf(str()), runtime: str() }, ['runtime']),
            ),
          },
        },
      },
      default: pistonError,
    },
  },
});

const executeOp = (prefix: string): OperationSpec => ({
  method: 'post',
  path: `${prefix}/execute`,
  operationId: prefix === '/api/v2' ? 'pistonExecute' : 'pistonExecuteAlias',
  tag: 'piston',
  summary: 'Piston v2: run code and answer with the result',
  description:
    'An API key with `runs:write` as `Authorization: <key>`, `Bearer <key>` or HTTP Basic with the key as ' +
    'user name. The body is JSON whatever its Content-Type (piston-client sends text/plain). The run is an ' +
    'ordinary Airlock run: same quotas, sandbox and history (GET /v1/runs).',
  access: 'any',
  scope: 'runs:write',
  body: { schema: executeBody, required: true },
  success: [],
  verbatim: {
    security: [{ apiKey: ['runs:write'] }],
    requestMediaTypes: ['application/json', 'text/plain'],
    responses: {
      '200': {
        description: 'The result; `compile` for compiled languages only.',
        content: {
          'application/json': {
            schema: obj({ language: str(), version: str(), run: stage, compile: stage }, ['compile']),
          },
        },
      },
      '504': {
        description: 'The run outlived the request; its result will be at /v1/runs/{run_id}.',
        content: { 'application/json': { schema: obj({ message: str(), run_id: str() }) } },
      },
      default: pistonError,
    },
  },
});

export const pistonOperations: readonly OperationSpec[] = PISTON_PREFIXES.flatMap((prefix) => [
  runtimesOp(prefix),
  executeOp(prefix),
]);

/** Piston's fields, for tests that compare answers with the documented shape. */
export const PISTON_STAGE_FIELDS = Object.keys((stage as { properties: object }).properties);
