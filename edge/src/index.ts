import { createApp } from './app.ts';
import { parseConfig } from './config.ts';
import { database } from './db/client.ts';
import { createLogger } from './lib/logger.ts';
import { runHousekeeping } from './services/housekeeping.ts';

export { HostRegistry } from './durable-objects/host-registry.ts';
export { RateLimiter } from './durable-objects/rate-limiter.ts';
export { RunSession } from './durable-objects/run-session.ts';
export { TaskSession } from './durable-objects/task-session.ts';

const app = createApp();

/**
 * The Cron Trigger (wrangler.toml `[triggers]`): housekeeping (services/housekeeping.ts). A bad
 * configuration is logged and skips the run, as it fails every request.
 */
export async function scheduled(
  controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const logger = createLogger({ cron: controller.cron });
  const parsed = parseConfig(env as unknown as Record<string, unknown>);
  if (!parsed.ok) {
    logger.error('invalid configuration', { problems: parsed.problems });
    return;
  }
  ctx.waitUntil(
    runHousekeeping(database(env.DB), parsed.config, controller.scheduledTime, logger).then(() => {}),
  );
}

export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Env>;
