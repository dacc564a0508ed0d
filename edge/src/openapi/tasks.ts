import { RunIdSchema, TASK_STATUSES } from '@airlock/protocol';
import { TaskListQuerySchema } from '../domain/tasks/list-query.ts';
import { TaskBodySchema } from '../domain/tasks/request.ts';
import { FIXED, SETTINGS } from '../limits.ts';
import {
  API,
  arrayOf,
  dateTime,
  fromZod,
  IDEMPOTENCY_ERRORS,
  idempotencyKeyHeader,
  int,
  json,
  noContent,
  type OperationSpec,
  obj,
  pathParam,
  queryParams,
  ref,
  str,
  streamSocketParams,
} from './spec.ts';

/** AI tasks (issue 13): create, list, read, delete, stream. */

const taskIdParam = pathParam('id', fromZod(RunIdSchema), 'The task id.');

const TaskSummary = obj({
  id: str(),
  provider: str({ enum: ['openai', 'anthropic', 'openrouter', 'google'] }),
  model: str(),
  language: str(),
  status: str({ enum: [...TASK_STATUSES] }),
  errorCode: str({ type: ['string', 'null'] }),
  maxAttempts: int(),
  usage: obj({ inputTokens: int(), outputTokens: int() }),
  providerLatencyMs: arrayOf({ type: ['integer', 'null'] }),
  createdAt: dateTime(),
  finishedAt: dateTime(true),
});

const TaskDetail = {
  ...TaskSummary,
  properties: {
    ...(TaskSummary.properties as Record<string, unknown>),
    prompt: str(),
    attempts: arrayOf(
      obj({
        attempt: int(),
        runId: str({ type: ['string', 'null'] }),
        files: arrayOf(obj({ name: str(), content: str() })),
        inputTokens: int(),
        outputTokens: int(),
        firstTokenMs: { type: ['integer', 'null'] },
        outcome: str(),
      }),
    ),
    runs: arrayOf(ref('Run')),
  },
};

const TaskFrame = {
  description:
    "One frame of a task stream, with the task's own `seq`: `token` (model text as it arrives), `program` " +
    '(the files taken from the reply), the run frames of each attempt (`started`, `stdout`, `stderr`, `exit`, ' +
    '`error`, with `runId`), each naming its `attempt`; last `end` (`status`, `errorCode`, `attempts`, token usage).',
  type: 'object',
  properties: { type: str(), seq: int(), taskId: str(), attempt: int() },
  required: ['type', 'seq', 'taskId'],
};

export const taskOperations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/v1/tasks/models',
    operationId: 'listTaskModels',
    tag: 'tasks',
    summary: 'The providers and models this deployment offers for tasks',
    description:
      'Providers with at least one model configured (`TASK_MODELS_<PROVIDER>`); `anyModel` when the operator ' +
      'allows any model id for that provider. Also the prompt size and attempt limits in force.',
    access: 'any',
    scope: 'tasks:read',
    org: true,
    rateLimits: API,
    success: [
      json(
        200,
        'The offered models.',
        obj({
          providers: arrayOf(
            obj({
              provider: str({ enum: ['openai', 'anthropic', 'openrouter', 'google'] }),
              models: arrayOf(str()),
              anyModel: { type: 'boolean' },
            }),
          ),
          limits: obj({ maxPromptBytes: int(), maxAttempts: int() }),
        }),
      ),
    ],
  },
  {
    method: 'post',
    path: '/v1/tasks',
    operationId: 'createTask',
    tag: 'tasks',
    summary: 'Have your own model write a program, and run it',
    description:
      'Decrypts your stored key for `provider` for this task, asks the model for one program in `language` ' +
      '(its tokens stream on `streamUrl`), runs it like POST /v1/runs (each attempt is a run, counted in the ' +
      'run limits), and while a run fails and `maxAttempts` allows, gives the model the exit status and stderr ' +
      'for a fix. Answers 202 once the model streams; a provider refusal of the first call answers with its code. ' +
      `Prompt at most ${SETTINGS.taskMaxPromptBytes.default} bytes, ${SETTINGS.taskMaxOutputTokens.default} output ` +
      `tokens per call, ${SETTINGS.taskTimeoutMs.default / 1000} s per task (defaults).`,
    access: 'any',
    scope: 'tasks:write',
    org: true,
    rateLimits: ['api', 'tasks'],
    body: { schema: fromZod(TaskBodySchema), required: true },
    parameters: [idempotencyKeyHeader],
    success: [
      json(
        202,
        'The model is streaming: watch it on `streamUrl`.',
        obj({
          id: str(),
          status: str({ const: 'running' }),
          streamUrl: str(),
          streamUrlExpiresAt: dateTime(),
        }),
      ),
    ],
    errors: [
      'unknown_model',
      'provider_key_missing',
      'provider_auth_failed',
      'provider_rate_limited',
      'provider_error',
      'provider_timeout',
      'sandbox_unavailable',
      'token_cap_reached',
      ...IDEMPOTENCY_ERRORS,
    ],
  },
  {
    method: 'get',
    path: '/v1/tasks',
    operationId: 'listTasks',
    tag: 'tasks',
    summary: 'Tasks of the caller in the organization, newest first',
    access: 'any',
    scope: 'tasks:read',
    org: true,
    rateLimits: API,
    parameters: queryParams(TaskListQuerySchema, {
      limit: `Page size, 1 to ${FIXED.runsPageMax} (default ${FIXED.runsPageDefault}).`,
      cursor: '`nextCursor` of the previous page.',
    }),
    success: [
      json(
        200,
        'A page of tasks (without prompt and programs).',
        obj({ tasks: arrayOf(TaskSummary), nextCursor: str({ type: ['string', 'null'] }) }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/tasks/{id}',
    operationId: 'getTask',
    tag: 'tasks',
    summary: 'A task: prompt, model, programs, runs, status, token usage, provider latency',
    access: 'any',
    scope: 'tasks:read',
    org: true,
    rateLimits: API,
    parameters: [taskIdParam],
    success: [json(200, 'The task.', TaskDetail)],
  },
  {
    method: 'delete',
    path: '/v1/tasks/{id}',
    operationId: 'deleteTask',
    tag: 'tasks',
    summary: 'Erase a task and its runs',
    access: 'any',
    scope: 'tasks:write',
    org: true,
    rateLimits: API,
    parameters: [taskIdParam],
    success: [noContent('Deleted, with its runs.')],
  },
  {
    method: 'post',
    path: '/v1/tasks/{id}/stream-ticket',
    operationId: 'createTaskStreamTicket',
    tag: 'tasks',
    summary: 'A fresh single-use ticket for the task stream',
    access: 'any',
    scope: 'tasks:read',
    org: true,
    rateLimits: API,
    parameters: [taskIdParam],
    success: [json(200, 'The ticket and the URL to open.', ref('StreamTicket'))],
  },
  {
    method: 'get',
    path: '/v1/tasks/{id}/stream',
    operationId: 'streamTask',
    tag: 'tasks',
    summary: 'Watch a task over a WebSocket',
    description:
      'Same rules as GET /v1/runs/{id}/stream: the single-use `ticket` authenticates, `from` resumes after a ' +
      'frame seq, the server closes the socket after `end`.',
    access: 'ticket',
    parameters: [taskIdParam, ...streamSocketParams],
    success: [{ status: 101, description: 'Switching Protocols: the WebSocket; messages are task frames.' }],
    errors: ['upgrade_required', 'origin_not_allowed', 'validation_failed', 'unauthorized', 'not_found'],
    extensions: {
      'x-websocket': { serverMessages: TaskFrame, clientMessages: obj({ type: str({ const: 'ping' }) }) },
    },
  },
];
