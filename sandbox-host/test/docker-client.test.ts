/**
 * The Engine API client (src/docker/client.ts). docker-modem formats each request's options, agent
 * included, with `util.inspect(…, { showHidden: true, depth: null })` whether or not its debug output is
 * on: the agent must format as a constant, or every Engine call walks all of its sockets on the host's
 * event loop (issue 10: the cost grows with the sandboxes attached and delays every tenant's run).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createDockerClient, EngineAgent } from '../src/docker/client.ts';

describe('Engine API client', () => {
  it('formats its agent as a constant, however many sockets it holds, as docker-modem formats it', async () => {
    const docker = createDockerClient();
    const agent = (docker.modem as unknown as { agent: unknown }).agent;
    expect(agent).toBeInstanceOf(EngineAgent);
    // Real requests, so the agent holds sockets (kept alive) while it is formatted.
    await Promise.all(Array.from({ length: 6 }, () => docker.ping()));
    expect(inspect({ agent }, { showHidden: true, depth: null })).toBe('{ agent: EngineAgent }');
    // Still an agent that keeps Engine connections for reuse.
    expect((agent as EngineAgent & { keepAlive: boolean }).keepAlive).toBe(true);
    (agent as EngineAgent).destroy();
  });
});
