/**
 * The engine's `oom` event as the second record of an OOM kill (src/docker/oom-event.ts), against the
 * real engine and the suite's runtime. Under gVisor the engine can record a sandbox's exit before its
 * OOM kill and keep `OOMKilled: false`: the host then asks for the event, which may come later still.
 */
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { awaitOomEvent } from '../src/docker/oom-event.ts';
import { imageName } from '../src/images/builder.ts';
import { docker, MEMORY_BOMB, testRuntime } from './support.ts';

const created: Docker.Container[] = [];
afterEach(async () => {
  for (const c of created.splice(0)) await c.remove({ force: true }).catch(() => undefined);
});

/** A container of the suite's runtime, without network, held to 64 MiB; not started. */
async function container(cmd: string[]): Promise<Docker.Container> {
  const bytes = 64 << 20;
  const c = await docker.createContainer({
    Image: imageName('python'),
    Cmd: cmd,
    NetworkDisabled: true,
    HostConfig: { Runtime: testRuntime(), NetworkMode: 'none', Memory: bytes, MemorySwap: bytes },
  });
  created.push(c);
  return c;
}

describe('the engine’s oom event', () => {
  it('is found when it was recorded before the host asks', async () => {
    const sinceMs = Date.now();
    const bomb = await container(['python3', '-c', MEMORY_BOMB]);
    await bomb.start();
    await bomb.wait();
    expect(await awaitOomEvent(docker, { containerId: bomb.id, sinceMs, waitMs: 200 })).toBe(true);
  });

  it('is awaited when it comes after the host asks', async () => {
    const sinceMs = Date.now();
    const bomb = await container(['python3', '-c', `import time\ntime.sleep(1)\n${MEMORY_BOMB}`]);
    // Asked before the container even starts: only a streamed event can answer true.
    const answer = awaitOomEvent(docker, { containerId: bomb.id, sinceMs, waitMs: 30_000 });
    await bomb.start();
    expect(await answer).toBe(true);
  });

  it('is not claimed for a container killed by SIGKILL without running out of memory', async () => {
    const sinceMs = Date.now();
    const sleeper = await container(['sleep', '60']);
    await sleeper.start();
    await sleeper.kill({ signal: 'SIGKILL' });
    const { StatusCode } = await sleeper.wait();
    expect(StatusCode).toBe(137);
    expect(await awaitOomEvent(docker, { containerId: sleeper.id, sinceMs, waitMs: 300 })).toBe(false);
  });

  it('is not taken from another container’s OOM kill', async () => {
    const sinceMs = Date.now();
    const bomb = await container(['python3', '-c', MEMORY_BOMB]);
    const bystander = await container(['true']);
    await bomb.start();
    await bomb.wait();
    expect(await awaitOomEvent(docker, { containerId: bystander.id, sinceMs, waitMs: 300 })).toBe(false);
  });
});
