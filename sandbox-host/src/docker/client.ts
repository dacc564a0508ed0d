/**
 * The one way to make an Engine API client. Node ≥ 19's global HTTP agent closes a socket after 5 s
 * without traffic; Engine calls can be quiet for longer than that (an image import while the engine
 * commits a layer, a container wait), and the request then fails with "socket hang up". This agent keeps
 * connections alive for reuse but never times an open request out: callers bound their own waits.
 */
import { Agent } from 'node:http';
import Docker from 'dockerode';

/** docker-modem reads `agent` from the options; @types/dockerode does not declare it. */
type ClientOptions = Docker.DockerOptions & { agent: Agent };

export function createDockerClient(socketPath = '/var/run/docker.sock'): Docker {
  const options: ClientOptions = { socketPath, agent: new Agent({ keepAlive: true }) };
  return new Docker(options);
}
