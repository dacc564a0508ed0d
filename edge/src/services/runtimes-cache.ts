import type { SandboxHostRef } from '../domain/runs/config.ts';
import type { RuntimeList } from '../domain/runs/runtimes.ts';
import { FIXED } from '../limits.ts';

/**
 * The hosts' runtime list as last answered by the HostRegistry, kept in the Worker isolate for a few
 * seconds (FIXED.runtimesIsolateCacheMs), so validating a run costs no Durable Object round trip
 * (issue 18). Keyed by the configured host list; only a complete answer (every host reachable) is
 * kept, as in the registry, so an outage is seen again at the next request.
 */
let cached: { key: string; at: number; value: RuntimeList } | undefined;

export async function isolateCachedRuntimes(
  hosts: readonly SandboxHostRef[],
  now: number,
  load: () => Promise<RuntimeList>,
): Promise<RuntimeList> {
  const key = JSON.stringify(hosts);
  if (cached && cached.key === key && now - cached.at >= 0 && now - cached.at < FIXED.runtimesIsolateCacheMs)
    return cached.value;
  const value = await load();
  if (value.reachableHosts === hosts.length) cached = { key, at: now, value };
  return value;
}
