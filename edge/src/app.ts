import { Hono } from 'hono';
import type { AppEnv } from './env.ts';
import { ApiError } from './errors/api-error.ts';
import { onError } from './errors/handler.ts';
import { consoleTarget, serveConsole } from './lib/console-assets.ts';
import type { LogSink } from './lib/logger.ts';
import { routeMethodIndex } from './lib/route-methods.ts';
import { FIXED } from './limits.ts';
import { bodyLimit } from './middleware/body-limit.ts';
import { clock } from './middleware/clock.ts';
import { loadConfig } from './middleware/config.ts';
import { cors } from './middleware/cors.ts';
import { httpsRedirect } from './middleware/https-redirect.ts';
import { requestId } from './middleware/request-id.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { sensitivePaths } from './middleware/sensitive-paths.ts';
import { adminRoutes } from './routes/admin.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { authRoutes } from './routes/auth.ts';
import { emailVerifyRoutes } from './routes/email-verification.ts';
import { fileRoutes } from './routes/files.ts';
import { healthRoutes } from './routes/health.ts';
import { meRoutes } from './routes/me.ts';
import { oauthRoutes } from './routes/oauth.ts';
import { openapiRoutes } from './routes/openapi.ts';
import { invitationRoutes, orgRoutes } from './routes/orgs.ts';
import { PISTON_PREFIXES, pistonErrorShape, pistonRoutes } from './routes/piston.ts';
import { providerKeyRoutes } from './routes/provider-keys.ts';
import { runRoutes } from './routes/runs.ts';
import { runtimeRoutes } from './routes/runtimes.ts';
import { taskRoutes } from './routes/tasks.ts';
import { usageRoutes } from './routes/usage.ts';

interface AppOptions {
  logSink?: LogSink;
  /** The clock, injected as on the sandbox host; default `Date.now`. */
  now?: () => number;
}

/**
 * The edge app. Middleware order (DESIGN.md), after the injected clock: request id → security headers → config → https
 * redirect → sensitive-path block → CORS → body limit → (auth, rate limit) → routes. Security headers
 * sit second, not fourth, so the redirect and the sensitive-path 404 carry them too.
 */
export function createApp(options: AppOptions = {}) {
  const app = new Hono<AppEnv>();

  app.use(clock(options.now ?? Date.now));
  app.use(requestId({ sink: options.logSink }));
  // Piston's clients read errors as {message}: reshaped for everything under /api/, 404s included.
  app.use('/api/*', pistonErrorShape());
  app.use(securityHeaders());
  app.use(loadConfig());
  app.use(httpsRedirect());
  app.use(sensitivePaths());
  app.use(cors());
  // Run creation (POST /v1/runs, Piston's execute) carries up to 256 KiB of source and 1 MiB of
  // stdin: its own, larger limit.
  const defaultBodyLimit = bodyLimit();
  const runBodyPaths = new Set(['/v1/runs', ...PISTON_PREFIXES.map((p) => `${p}/execute`)]);
  app.use(function bodyLimits(c, next) {
    if (runBodyPaths.has(c.req.path)) return bodyLimit(c.get('config').runs.bodyLimitBytes)(c, next);
    // Uploads: the file size limit, plus room for a multipart form's boundaries and part headers
    // (the upload service checks the file's own size against the limit itself).
    if (c.req.path === '/v1/files') {
      return bodyLimit(c.get('config').files.maxBytes + FIXED.multipartOverheadBytes)(c, next);
    }
    return defaultBodyLimit(c, next);
  });

  app.route('/', healthRoutes);
  app.route('/', authRoutes);
  app.route('/', oauthRoutes);
  app.route('/', emailVerifyRoutes);
  app.route('/', meRoutes);
  app.route('/', orgRoutes);
  app.route('/', invitationRoutes);
  app.route('/', providerKeyRoutes);
  app.route('/', apiKeyRoutes);
  app.route('/', adminRoutes);
  app.route('/', runtimeRoutes);
  app.route('/', runRoutes);
  app.route('/', pistonRoutes);
  app.route('/', taskRoutes);
  app.route('/', usageRoutes);
  app.route('/', fileRoutes);
  app.route('/', openapiRoutes);

  const methodsFor = routeMethodIndex(app.routes);
  app.notFound((c) => {
    const allow = methodsFor(c.req.path);
    if (allow.length > 0) throw new ApiError('method_not_allowed', { headers: { Allow: allow.join(', ') } });
    // The web console's pages and bundle come from the static assets (wrangler.toml [assets]).
    const target = c.req.method === 'GET' || c.req.method === 'HEAD' ? consoleTarget(c.req.path) : null;
    if (target) return serveConsole(c, target);
    throw new ApiError('not_found');
  });
  app.onError(onError);
  return app;
}
