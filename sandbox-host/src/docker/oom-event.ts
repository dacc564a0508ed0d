/**
 * The engine's `oom` event for one container: a second record of an OOM kill, for when the container's
 * own state does not show it.
 *
 * Why: under gVisor the host kernel's OOM killer ends the whole sandbox, and the engine learns of the
 * kill and of the exit from two separate watchers in the runtime's shim. When the exit is handled first,
 * the engine records the container as stopped with `OOMKilled: false` and never changes it; the `oom`
 * event still follows, milliseconds later (memory bombs in a loop on a loaded machine: 4 of 66 had their
 * `die` 12–30 ms before their `oom`). The sandbox's cgroup, the other record, is gone with the sandbox.
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

export interface OomEventQuery {
  containerId: string;
  /** Events from this time on (ms since the epoch): no later than the container's creation. */
  sinceMs: number;
  /** How long after the call a late event is still awaited. */
  waitMs: number;
}

/** Seconds with fractions, as the Engine API's `since` and `until` take them. */
function engineTime(ms: number): number {
  return Math.round(ms) / 1000;
}

/**
 * True once the engine reports an `oom` event for the container, whether it was recorded before the
 * call or arrives within `waitMs`; false when none came in that time or the engine could not be asked
 * (the run then keeps the status its exit gave it).
 */
export async function awaitOomEvent(docker: Docker, q: OomEventQuery): Promise<boolean> {
  let stream: Readable;
  try {
    // With `until` in the future the engine replays what it has, streams what comes, then closes.
    stream = (await docker.getEvents({
      since: engineTime(q.sinceMs),
      until: engineTime(Date.now() + q.waitMs),
      filters: { type: ['container'], container: [q.containerId], event: ['oom'] },
    })) as unknown as Readable;
  } catch {
    return false;
  }
  return new Promise<boolean>((resolve) => {
    let guard: NodeJS.Timeout | undefined;
    const done = (seen: boolean) => {
      clearTimeout(guard);
      stream.destroy();
      resolve(seen);
    };
    // The filter leaves only this container's `oom` events: any event line is the answer.
    stream.on('data', () => done(true));
    stream.on('end', () => done(false));
    stream.on('close', () => done(false));
    stream.on('error', () => done(false));
    // The engine closes the stream at `until`; this bounds the wait should it not.
    guard = setTimeout(() => done(false), q.waitMs + 1000);
  });
}
