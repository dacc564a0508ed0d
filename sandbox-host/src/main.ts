/**
 * Sandbox host entry point: `node sandbox-host/src/main.ts`. Configuration comes from the environment
 * (see config.ts); logs are JSON lines on stdout. SIGTERM/SIGINT drain and exit 0.
 */

import { pino } from 'pino';
import { parseConfig } from './config.ts';
import { createDockerClient } from './docker/client.ts';
import { startHost } from './host.ts';

const parsed = parseConfig(process.env);
if (!parsed.ok) {
  for (const e of parsed.errors) console.error(`sandbox-host: invalid configuration: ${e}`);
  process.exit(1);
}
const { config } = parsed;
const logger = pino({
  level: config.logLevel,
  base: { service: 'sandbox-host' },
  // Never log credentials even if a future call site passes request headers.
  redact: ['req.headers.authorization', '*.authorization', 'token'],
});

try {
  const host = await startHost(config, {
    docker: createDockerClient(config.dockerSocket),
    logger,
    now: Date.now,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received');
    host.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  logger.fatal({ err }, 'sandbox host failed to start');
  process.exit(1);
}
