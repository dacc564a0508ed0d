import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { database } from '../db/client.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { cursorParam, encodeCursor } from '../lib/cursor.ts';
import { days, FIXED } from '../limits.ts';
import { apiLimit } from '../middleware/api-limit.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { requireAdmin } from '../middleware/require-admin.ts';
import { billingByOrg, listUsers, type Period, platformStats, queryAudit } from '../repositories/admin.ts';

/**
 * /v1/admin: platform statistics, users, billing and the audit log, for administrators only
 * (`requireAdmin()`: the D1 flag on every request, every call audited). Read-only.
 */

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((v) => Date.parse(v));
export const period = { from: instant.optional(), to: instant.optional() };
export const limit = (fallback: number) =>
  z.coerce.number().int().min(1).max(FIXED.adminPageMax).default(fallback);

function parseQuery<T extends z.ZodType>(c: Context<AppEnv>, schema: T): z.output<T> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) {
    const fields = result.error.issues.map((issue) => ({
      field: issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(',') : '(query)'),
      problem: issue.code === 'unrecognized_keys' ? 'unknown parameter' : issue.message,
    }));
    throw new ApiError('validation_failed', {
      message: `Invalid query: ${fields.map((f) => `${f.field} (${f.problem})`).join('; ')}`,
      details: { fields },
    });
  }
  return result.data;
}

const PERIOD_PROBLEM = `must be before to, at most ${days(FIXED.adminMaxPeriodMs)} days apart`;

/** `[from, to)`, defaulting to the last 30 days, at most 366 days long (FIXED.adminDefaultPeriodMs, adminMaxPeriodMs). */
function resolvePeriod(q: { from?: number; to?: number }, now: number): Period {
  const to = q.to ?? now;
  const from = q.from ?? to - FIXED.adminDefaultPeriodMs;
  if (from >= to || to - from > FIXED.adminMaxPeriodMs) {
    throw new ApiError('validation_failed', {
      message: `Invalid query: from ${PERIOD_PROBLEM}.`,
      details: { fields: [{ field: 'from', problem: PERIOD_PROBLEM }] },
    });
  }
  return { from, to };
}

const iso = (ms: number) => new Date(ms).toISOString();
const periodJson = (p: Period) => ({ from: iso(p.from), to: iso(p.to) });

/** Query of GET /v1/admin/users (also documented in the OpenAPI document). */
export const usersQuery = z.strictObject({
  q: z.string().trim().toLowerCase().max(254).optional(),
  after: z.string().max(254).optional(),
  limit: limit(FIXED.adminPageDefault),
});

/** Query of GET /v1/admin/audit (also documented in the OpenAPI document). */
export const auditQuery = z.strictObject({
  action: z.string().max(100).optional(),
  actor: z.string().max(64).optional(),
  org: z.string().max(64).optional(),
  ...period,
  cursor: cursorParam.optional(),
  limit: limit(FIXED.adminPageDefault),
});

export const adminRoutes = new Hono<AppEnv>()
  .use('/v1/admin/*', authenticate(), apiLimit, requireAdmin())
  .get('/v1/admin/stats', async (c) => {
    const q = parseQuery(c, z.strictObject(period));
    const p = resolvePeriod(q, c.get('now')());
    return c.json({ period: periodJson(p), ...(await platformStats(database(c.env.DB), p)) });
  })
  .get('/v1/admin/users', async (c) => {
    const q = parseQuery(c, usersQuery);
    const page = await listUsers(database(c.env.DB), { prefix: q.q, after: q.after, limit: q.limit });
    return c.json({
      users: page.users.map((u) => ({ ...u, createdAt: iso(u.createdAt) })),
      next: page.next,
    });
  })
  .get('/v1/admin/billing', async (c) => {
    const q = parseQuery(c, z.strictObject(period));
    const p = resolvePeriod(q, c.get('now')());
    return c.json({ period: periodJson(p), orgs: await billingByOrg(database(c.env.DB), p) });
  })
  .get('/v1/admin/audit', async (c) => {
    const q = parseQuery(c, auditQuery);
    const page = await queryAudit(database(c.env.DB), {
      action: q.action,
      actorUserId: q.actor,
      orgId: q.org,
      from: q.from,
      to: q.to,
      before: q.cursor,
      limit: q.limit,
    });
    return c.json({
      entries: page.entries.map((e) => ({ ...e, at: iso(e.at) })),
      next: page.next ? encodeCursor(page.next) : null,
    });
  });
