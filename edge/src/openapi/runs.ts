import { RunIdSchema } from '@airlock/protocol';
import { FIXED } from '../limits.ts';
import { ListQuerySchema } from '../services/run-list.ts';
import {
  API,
  arrayOf,
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

const runIdParam = pathParam('id', fromZod(RunIdSchema), 'The run id.');

/** Runtimes and runs: create, list, read, cancel and stream. */
export const runOperations: readonly OperationSpec[] = [
  // ── runtimes
  {
    method: 'get',
    path: '/v1/runtimes',
    operationId: 'listRuntimes',
    tag: 'runtimes',
    summary: 'Languages, versions, default and maximum limits',
    access: 'any',
    rateLimits: API,
    success: [
      json(
        200,
        'What the sandbox hosts offer.',
        obj({
          runtimes: arrayOf(ref('Runtime')),
          limits: obj({
            maxCodeBytes: int(),
            maxStdinBytes: int(),
            maxFiles: int(),
            maxArgs: int(),
            maxOutputBytes: int(),
            defaultTimeoutMs: int(),
            maxTimeoutMs: int(),
          }),
        }),
      ),
    ],
    errors: ['sandbox_unavailable'],
  },
  // ── runs
  {
    method: 'post',
    path: '/v1/runs',
    operationId: 'createRun',
    tag: 'runs',
    summary: 'Run code in a sandbox',
    description:
      '`wait: true` answers 200 with the finished run if it ends within the wait limit; otherwise 202 with ' +
      'the id and a `streamUrl` to watch it. At most a configured number of runs per organization are in ' +
      'progress at once (`run_concurrency_limit`).',
    access: 'any',
    scope: 'runs:write',
    org: true,
    rateLimits: ['api', 'runs'],
    body: { schema: ref('RunRequest'), required: true },
    parameters: [idempotencyKeyHeader],
    success: [
      json(200, 'With `wait: true`: the finished run.', ref('Run')),
      json(202, 'Queued: watch it on `streamUrl`, or poll GET /v1/runs/{id}.', ref('RunAccepted')),
    ],
    errors: [
      'run_concurrency_limit',
      'sandbox_unavailable',
      'sandbox_busy',
      'files_too_large_for_run',
      'file_missing',
      ...IDEMPOTENCY_ERRORS,
    ],
  },
  {
    method: 'get',
    path: '/v1/runs',
    operationId: 'listRuns',
    tag: 'runs',
    summary: 'Runs of the caller in the organization, newest first',
    access: 'any',
    scope: 'runs:read',
    org: true,
    rateLimits: API,
    parameters: queryParams(ListQuerySchema, {
      limit: `Page size, 1 to ${FIXED.runsPageMax} (default ${FIXED.runsPageDefault}).`,
      cursor: '`nextCursor` of the previous page.',
    }),
    success: [
      json(
        200,
        'A page of runs (without output).',
        obj({ runs: arrayOf(ref('Run')), nextCursor: str({ type: ['string', 'null'] }) }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/runs/{id}',
    operationId: 'getRun',
    tag: 'runs',
    summary: 'A run, with its output once finished',
    access: 'any',
    scope: 'runs:read',
    org: true,
    rateLimits: API,
    parameters: [runIdParam],
    success: [json(200, 'The run.', ref('Run'))],
  },
  {
    method: 'delete',
    path: '/v1/runs/{id}',
    operationId: 'deleteRun',
    tag: 'runs',
    summary: 'Delete a finished run and its stored output',
    description: 'A run in progress is a 409: cancel it first. Output is also erased by retention (30 days).',
    access: 'any',
    scope: 'runs:write',
    org: true,
    rateLimits: API,
    parameters: [runIdParam],
    success: [noContent('The run and its output are gone.')],
    errors: ['not_found', 'conflict'],
  },
  {
    method: 'post',
    path: '/v1/runs/{id}/cancel',
    operationId: 'cancelRun',
    tag: 'runs',
    summary: 'Cancel a run in progress',
    description: 'The run ends with status `cancelled` (unless it finishes first).',
    access: 'any',
    scope: 'runs:write',
    org: true,
    rateLimits: API,
    parameters: [runIdParam],
    success: [
      json(
        202,
        'Cancellation is under way (`cancelling`), or the run had just finished (`finished`).',
        obj({ id: str(), status: str({ enum: ['cancelling', 'finished'] }) }),
      ),
    ],
    errors: ['conflict'],
  },
  {
    method: 'post',
    path: '/v1/runs/{id}/stream-ticket',
    operationId: 'createStreamTicket',
    tag: 'runs',
    summary: 'A fresh single-use ticket for the run stream',
    description:
      'E.g. to reconnect to GET /v1/runs/{id}/stream with `?from=SEQ` after the first ticket was used.',
    access: 'any',
    scope: 'runs:read',
    org: true,
    rateLimits: API,
    parameters: [runIdParam],
    success: [json(200, 'The ticket and the URL to open.', ref('StreamTicket'))],
  },
  {
    method: 'get',
    path: '/v1/runs/{id}/stream',
    operationId: 'streamRun',
    tag: 'runs',
    summary: 'Watch a run over a WebSocket',
    description:
      'A WebSocket endpoint (`Upgrade: websocket`), authenticated by the single-use `ticket` from POST /v1/runs ' +
      'or POST /v1/runs/{id}/stream-ticket instead of a header (browsers cannot set one). The server sends ' +
      'JSON `StreamFrame` messages: the frames so far (after `from`, when given), then live ones; it closes ' +
      'the socket after `exit`. A browser `Origin` must be allowed.',
    access: 'ticket',
    parameters: [runIdParam, ...streamSocketParams],
    success: [
      { status: 101, description: 'Switching Protocols: the WebSocket; messages are `StreamFrame`s.' },
    ],
    errors: ['upgrade_required', 'origin_not_allowed', 'validation_failed', 'unauthorized', 'not_found'],
    extensions: {
      'x-websocket': {
        serverMessages: ref('StreamFrame'),
        clientMessages: obj({ type: str({ const: 'ping' }) }),
      },
    },
  },
];
