import { API, dateTime, int, json, type OperationSpec, obj, str } from './spec.ts';

/** GET /v1/usage (issue 13). */

const rateWindow = obj({
  limit: int(),
  windowSeconds: int(),
  remaining: int({ minimum: 0 }),
  resetsAt: dateTime(true),
});
const inProgress = obj({ limit: int(), inProgress: int(), remaining: int({ minimum: 0 }) });

export const usageOperations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/v1/usage',
    operationId: 'getUsage',
    tag: 'usage',
    summary: 'Your usage this month and what remains of each limit',
    description:
      'For the organization the request acts in, this UTC calendar month: your runs, their CPU seconds, your ' +
      "tasks and their tokens (tasks you deleted still count). Limits: the organization's monthly token cap " +
      "(`limit` null: none; `used` is all members' tasks), the creation rates of runs and tasks and the API " +
      "rate (read without spending a hit; this request costs one API hit), the organization's output budget " +
      '(characters its runs wrote in the window; `resetsAt` set while it is spent: when runs may start again), ' +
      'and the caps on runs in progress.',
    access: 'any',
    org: true,
    rateLimits: API,
    success: [
      json(
        200,
        'Usage and limits.',
        obj({
          period: obj({ from: dateTime(), to: dateTime() }),
          orgId: str(),
          usage: obj({
            runs: int(),
            cpuSeconds: { type: 'number' },
            tasks: int(),
            inputTokens: int(),
            outputTokens: int(),
          }),
          limits: obj({
            monthlyTokens: obj({
              scope: str({ const: 'organization' }),
              limit: int({ type: ['integer', 'null'] }),
              used: int(),
              remaining: int({ type: ['integer', 'null'] }),
              resetsAt: dateTime(),
            }),
            runsPerWindow: rateWindow,
            tasksPerWindow: rateWindow,
            apiRequestsPerWindow: rateWindow,
            outputPerWindow: obj({
              scope: str({ const: 'organization' }),
              limit: int(),
              windowSeconds: int(),
              used: int(),
              remaining: int(),
              resetsAt: dateTime(true),
            }),
            runsInProgress: obj({ organization: inProgress, user: inProgress }),
          }),
        }),
      ),
    ],
  },
];
