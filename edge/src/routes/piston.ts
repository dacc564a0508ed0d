import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { pistonApiKey } from '../domain/piston/credentials.ts';
import { parsePistonExecute } from '../domain/piston/request.ts';
import { pistonResult } from '../domain/piston/response.ts';
import { pistonRuntimes, runtimeListView } from '../domain/piston/runtimes.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors/api-error.ts';
import { runAdmission } from '../middleware/api-limit.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { orgContext } from '../middleware/org-context.ts';
import { ipKey, rateLimit } from '../middleware/rate-limit.ts';
import { requireScope } from '../middleware/require-scope.ts';
import { availableRuntimes, createRun } from '../services/create-run.ts';

/**
 * Piston v2 compatibility (issue 17, docs/piston.md): GET /api/v2/runtimes and POST /api/v2/execute,
 * also under the hosted API's /api/v2/piston/ prefix. Runs go through the same createRun as
 * POST /v1/runs (quotas, cap, sandbox, audit, history); only the shapes are Piston's.
 */

export const PISTON_PREFIXES = ['/api/v2', '/api/v2/piston'] as const;

/**
 * Errors under /api/ in Piston's shape, `{message}`, with the status and headers (Retry-After,
 * RateLimit) of the Airlock error. Mounted before everything else on /api/*, so it also reshapes the
 * body limit's 413, the router's 404 and the rate limiter's 429.
 */
export function pistonErrorShape(): MiddlewareHandler<AppEnv> {
  return async function pistonErrorShape(c, next) {
    await next();
    if (c.res.status < 400 || !(c.res.headers.get('content-type') ?? '').includes('application/json')) return;
    const body = (await c.res
      .clone()
      .json()
      .catch(() => undefined)) as { error?: { message?: unknown } } | undefined;
    const message = body?.error?.message;
    if (typeof message !== 'string') return;
    const headers = new Headers(c.res.headers);
    headers.delete('content-length');
    c.res = new Response(JSON.stringify({ message }), { status: c.res.status, headers });
  };
}

function unauthorized(): ApiError {
  return new ApiError('unauthorized', {
    message:
      'An Airlock API key is required: Authorization: <key>, Bearer <key>, or Basic with the key as user.',
    // Bearer, never Basic: a Basic challenge would make browsers prompt and then send the key on their own.
    headers: { 'WWW-Authenticate': 'Bearer realm="airlock"' },
  });
}

/**
 * The API key in any of Piston's credential forms (domain/piston/credentials.ts), then the one
 * authentication of the API (middleware/authenticate.ts, with its failure limit and key-use record):
 * the key is handed on as `Bearer <key>`. Without a key in any form: 401 at once.
 */
function pistonAuthenticate(): MiddlewareHandler<AppEnv> {
  const bearer = authenticate();
  return async function pistonAuthenticate(c, next) {
    const key = pistonApiKey(c.req.header('authorization'));
    if (!key) throw unauthorized();
    const headers = new Headers(c.req.raw.headers);
    headers.set('authorization', `Bearer ${key}`);
    c.req.raw = new Request(c.req.raw, { headers });
    return bearer(c, next);
  };
}

/**
 * The body as JSON whatever its content type: piston-client sends `text/plain`. Accepting it opens
 * no cross-site request forgery: the only credential is the Authorization header, which a browser
 * never adds to a cross-site request by itself (no cookie, no Basic challenge is ever issued).
 */
async function jsonOf(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError('invalid_json', { message: 'Request body is not valid JSON' });
  }
}

const publicLimit = rateLimit({
  name: 'piston-runtimes',
  rule: (cfg) => cfg.auth.rateLimits.api,
  key: ipKey,
});

async function listRuntimes(c: Context<AppEnv>) {
  const { runtimes } = await availableRuntimes(c);
  return c.json(runtimeListView(pistonRuntimes(runtimes)));
}

async function execute(c: Context<AppEnv>) {
  const body = await jsonOf(c);
  const { runtimes } = await availableRuntimes(c);
  const parsed = parsePistonExecute(body, pistonRuntimes(runtimes));
  if (!parsed.ok) throw new ApiError('validation_failed', { message: parsed.message });
  const created = await createRun(c, parsed.request, { wait: true });
  if (created.state !== 'final') {
    // Piston has no "accepted": answered in its own shape, with where the result will be.
    const message = `The run did not finish within the request time; its result will be at /v1/runs/${created.runId}`;
    return c.json({ message, run_id: created.runId }, 504);
  }
  return c.json(pistonResult(parsed.runtime, created.run));
}

const authed = [pistonAuthenticate(), requireScope('runs:write'), runAdmission, orgContext()] as const;

export const pistonRoutes = new Hono<AppEnv>();
for (const prefix of PISTON_PREFIXES) {
  pistonRoutes.get(`${prefix}/runtimes`, publicLimit, listRuntimes);
  pistonRoutes.post(`${prefix}/execute`, ...authed, execute);
}
