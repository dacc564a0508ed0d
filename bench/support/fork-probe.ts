/**
 * A probe for stalls of the whole machine, not of one process: a child at real-time priority
 * (`chrt -f 10`: no normal process can keep it off a core) starts `/bin/true` every 50 ms and reports
 * how long each took (fork, exec, exit, reaped). Under CPU contention alone these stay at a few ms; a
 * long one means the kernel held the probe itself (issue 10: in the noisy-neighbour bench's full mix
 * they reached 1.3 s while the same probe's timers stayed within 11 ms).
 *
 * Without `chrt` (or the right to use it) the child runs at normal priority, and the bench says so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const EVERY_MS = 50;

if (process.argv[2] === 'child') {
  // One line per start: its duration in ms.
  setInterval(() => {
    const t0 = performance.now();
    spawnSync('/bin/true');
    process.stdout.write(`${(performance.now() - t0).toFixed(2)}\n`);
  }, EVERY_MS);
}

export interface ForkProbe {
  /** Whether the child got real-time priority. */
  readonly realtime: boolean;
  /** Stops the child; the durations it reported, in ms. */
  stop(): number[];
}

export function startForkProbe(): ForkProbe {
  const self = fileURLToPath(import.meta.url);
  const realtime = spawnSync('chrt', ['-f', '10', 'true']).status === 0;
  const [file, args] = realtime
    ? ['chrt', ['-f', '10', process.execPath, self, 'child']]
    : [process.execPath, [self, 'child']];
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const durations: number[] = [];
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) durations.push(Number(line));
  });
  return {
    realtime,
    stop: () => {
      child.kill();
      return durations;
    },
  };
}
