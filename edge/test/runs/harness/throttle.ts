/**
 * A slow link for tests (Node, global setup): a TCP proxy on 127.0.0.1 in front of a sandbox host that
 * passes what the edge sends at `bytesPerSecond` at most (and what the host sends unthrottled). The
 * throttle is real backpressure: the edge's socket is paused while its bytes wait their turn.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Bytes go out in slices every TICK_MS, so the rate holds within one tick. */
const TICK_MS = 50;

export interface Throttle {
  port: number;
  close(): Promise<void>;
}

export async function startThrottle(targetPort: number, bytesPerSecond: number): Promise<Throttle> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.pipe(client);

    const slice = Math.max(1, Math.floor((bytesPerSecond * TICK_MS) / 1000));
    let queue: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      timer = undefined;
      let budget = slice;
      const rest: Buffer[] = [];
      for (const chunk of queue) {
        if (budget === 0) rest.push(chunk);
        else if (chunk.length <= budget) {
          upstream.write(chunk);
          budget -= chunk.length;
        } else {
          upstream.write(chunk.subarray(0, budget));
          rest.push(chunk.subarray(budget));
          budget = 0;
        }
      }
      queue = rest;
      if (queue.length > 0) timer = setTimeout(pump, TICK_MS);
      else client.resume();
    };
    client.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      client.pause();
      timer ??= setTimeout(pump, TICK_MS);
    });
    client.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the throttle has no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
