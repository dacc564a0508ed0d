/**
 * The engine runtime check at start: a host configured for gVisor (runsc) must never silently run its
 * sandboxes under plain runc, nor fail on every container creation. It refuses to start instead, saying
 * how to register the runtime.
 */
import type Docker from 'dockerode';
import type { SandboxRuntime } from './profile.ts';

export type RuntimeCheck = { ok: true } | { ok: false; registered: string[] };

export async function checkRuntime(docker: Docker, runtime: SandboxRuntime): Promise<RuntimeCheck> {
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  const registered = Object.keys(info.Runtimes ?? {});
  return registered.includes(runtime) ? { ok: true } : { ok: false, registered };
}

export class RuntimeNotRegistered extends Error {
  constructor(runtime: SandboxRuntime, registered: string[]) {
    super(
      `SANDBOX_RUNTIME=${runtime} is not registered with the Docker engine (it has: ${registered.join(', ') || 'none'}); run scripts/docker-engine.sh as root to install and register it (see docs/sandbox-host.md)`,
    );
    this.name = 'RuntimeNotRegistered';
  }
}
