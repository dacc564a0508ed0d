/**
 * The one way to make an Engine API client. Node ≥ 19's global HTTP agent closes a socket after 5 s
 * without traffic; Engine calls can be quiet for longer than that (an image import while the engine
 * commits a layer, a container wait), and the request then fails with "socket hang up". This agent keeps
 * connections alive for reuse but never times an open request out: callers bound their own waits.
 *
 * docker-modem formats every request's options, agent included, with
 * `util.inspect(options, { showHidden: true, depth: null })` for a debug line, whether or not its debug
 * output is enabled. Unbounded, that walks the agent's every socket and its parser and timers: with a
 * few dozen sandboxes attached it cost ~200 ms of the host's one event loop per Engine call (CPU
 * profile of the noisy-neighbour bench), delaying every other tenant's run. The agent therefore
 * inspects as its name.
 */
import { Agent } from 'node:http';
import { inspect } from 'node:util';
import Docker from 'dockerode';

/** docker-modem reads `agent` from the options; @types/dockerode does not declare it. */
type ClientOptions = Docker.DockerOptions & { agent: Agent };

export class EngineAgent extends Agent {
  [inspect.custom](): string {
    return 'EngineAgent';
  }
}

export function createDockerClient(socketPath = '/var/run/docker.sock'): Docker {
  const options: ClientOptions = { socketPath, agent: new EngineAgent({ keepAlive: true }) };
  return new Docker(options);
}
