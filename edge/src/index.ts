import { createApp } from './app.ts';

export { RateLimiter } from './durable-objects/rate-limiter.ts';

export default createApp();
