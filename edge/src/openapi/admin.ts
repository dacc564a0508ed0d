import { z } from 'zod';
import { days, FIXED } from '../limits.ts';
import { auditQuery, period, usersQuery } from '../routes/admin.ts';
import {
  API,
  arrayOf,
  bool,
  dateTime,
  int,
  json,
  type OperationSpec,
  obj,
  queryParams,
  str,
} from './spec.ts';

const adminPeriod = {
  from: `Start of the period (ISO 8601 date or date-time, inclusive); default: ${days(FIXED.adminDefaultPeriodMs)} days before \`to\`.`,
  to: `End of the period (exclusive); default: now. At most ${days(FIXED.adminMaxPeriodMs)} days after \`from\`.`,
};

/** Administrators: statistics, users, billing and the audit log. */
export const adminOperations: readonly OperationSpec[] = [
  // ── admin
  {
    method: 'get',
    path: '/v1/admin/stats',
    operationId: 'adminStats',
    tag: 'admin',
    summary: 'Platform statistics for a period',
    access: 'admin',
    rateLimits: API,
    parameters: queryParams(z.strictObject(period), adminPeriod),
    success: [
      json(
        200,
        'Counts of users, organizations, runs, and tasks with their tokens (per organization too).',
        obj({
          period: obj({ from: dateTime(), to: dateTime() }),
          users: obj({ total: int(), admins: int() }),
          orgs: obj({ total: int(), personal: int() }),
          runs: obj({
            total: int(),
            byStatus: { type: 'object', additionalProperties: int() },
            byLanguage: { type: 'object', additionalProperties: int() },
            daily: arrayOf(
              obj({ date: str({ format: 'date' }), status: str(), language: str(), runs: int() }),
            ),
          }),
          tasks: obj({
            total: int(),
            inputTokens: int(),
            outputTokens: int(),
            byOrg: arrayOf(obj({ orgId: str(), tasks: int(), inputTokens: int(), outputTokens: int() })),
          }),
        }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/admin/users',
    operationId: 'adminUsers',
    tag: 'admin',
    summary: 'Users, by email',
    access: 'admin',
    rateLimits: API,
    parameters: queryParams(usersQuery, { q: 'Email prefix.', after: '`next` of the previous page.' }),
    success: [
      json(
        200,
        'A page of users.',
        obj({
          users: arrayOf(
            obj({ id: str(), email: str({ format: 'email' }), isAdmin: bool, createdAt: dateTime() }),
          ),
          next: str({ type: ['string', 'null'] }),
        }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/admin/billing',
    operationId: 'adminBilling',
    tag: 'admin',
    summary: 'Usage per organization for a period',
    access: 'admin',
    rateLimits: API,
    parameters: queryParams(z.strictObject(period), adminPeriod),
    success: [
      json(
        200,
        'Runs and CPU/wall time, tasks and their tokens, per organization; most CPU first, then most tokens.',
        obj({
          period: obj({ from: dateTime(), to: dateTime() }),
          orgs: arrayOf(
            obj({
              orgId: str(),
              name: str(),
              personal: bool,
              runs: int(),
              cpuSeconds: { type: 'number' },
              wallSeconds: { type: 'number' },
              tasks: int(),
              inputTokens: int(),
              outputTokens: int(),
            }),
          ),
        }),
      ),
    ],
  },
  {
    method: 'get',
    path: '/v1/admin/audit',
    operationId: 'adminAudit',
    tag: 'admin',
    summary: 'The audit log, newest first',
    access: 'admin',
    rateLimits: API,
    parameters: queryParams(auditQuery, {
      ...adminPeriod,
      actor: 'Actor user id.',
      org: 'Organization id.',
      cursor: '`next` of the previous page.',
    }),
    success: [
      json(
        200,
        'A page of audit entries.',
        obj({
          entries: arrayOf({ type: 'object', properties: { id: str(), action: str(), at: dateTime() } }),
          next: str({ type: ['string', 'null'] }),
        }),
      ),
    ],
  },
];
