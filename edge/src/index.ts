import { createApp } from './app.ts';

export { HostRegistry } from './durable-objects/host-registry.ts';
export { RateLimiter } from './durable-objects/rate-limiter.ts';
export { RunSession } from './durable-objects/run-session.ts';
export { TaskSession } from './durable-objects/task-session.ts';

export default createApp();
