/**
 * A program's output arrives byte for byte however it writes it, under every runtime: large writes
 * (over PIPE_BUF, 4 KiB) while the container's stdout FIFO is full lost bytes under gVisor before the
 * in-sandbox relays (src/docker/wrapper.ts, wrapperCmd). The program floods numbered lines in writes of
 * about 63 KB until the output limit; every line the host kept must be the next number.
 */
import { LIMITS } from '@airlock/protocol';
import { describe, expect, it } from 'vitest';
import { runOnHost, withTestHost } from './support.ts';

const LINES_PER_WRITE = 7000; // 9 bytes a line: 63 KB a write, near the FIFO's 64 KiB

/** The first line index that is not the next number, or -1 when every complete line is. */
function firstBadLine(stdout: string): number {
  const lines = stdout.split('\n');
  for (let k = 0; k < lines.length - 1; k++) if (lines[k] !== String(k).padStart(8, '0')) return k;
  return -1;
}

/** Floods `stream` in LINES_PER_WRITE-line writes until the output limit; the host's copy of it. */
async function flood(h: Parameters<typeof runOnHost>[0], stream: 'stdout' | 'stderr') {
  const code = [
    'import sys',
    'i = 0',
    'while True:',
    `    sys.${stream}.write("".join("%08d\\n" % (i + k) for k in range(${LINES_PER_WRITE})))`,
    `    i += ${LINES_PER_WRITE}`,
  ].join('\n');
  const out = await runOnHost(h, { language: 'python', code, limits: { timeoutMs: 10_000 } });
  expect(out.result).toMatchObject({ status: 'output_limited', [`${stream}Truncated`]: true });
  return out.result?.[stream] ?? '';
}

// Whether a write finds the FIFO full depends on how far the host's reading lags, so each stream is
// flooded several times: without the relays, this gVisor build lost bytes in most floods (2 of 3 and
// more, measured), so all of them coming through intact would be chance.
const FLOODS = 4;

describe('output integrity', () => {
  const h = withTestHost({ POOL_SIZE: '1', POOL_LANGUAGES: 'python' });

  for (const stream of ['stdout', 'stderr'] as const) {
    it(`${stream}: floods of 63 KB writes arrive intact up to the output limit`, async () => {
      for (let n = 0; n < FLOODS; n++) {
        const text = await flood(h, stream);
        expect(Buffer.byteLength(text)).toBe(LIMITS.maxOutputBytes);
        expect(firstBadLine(text), `flood ${n + 1}`).toBe(-1);
      }
    });
  }
});
