/**
 * The cost of one password hash with the edge's default parameters (Argon2id m = 19 MiB, t = 2,
 * p = 1; OWASP's first recommendation) and of the alternatives we rejected, measured with the same
 * JavaScript the Worker runs. Run: `node bench/edge-password-hash.ts` (Node 22 from node_modules).
 * Figures from Node are close to workerd's (same V8); DESIGN.md lists workerd's own measurements.
 */
import {
  DEFAULT_HASH_PARAMS,
  type HashParams,
  hashPassword,
  verifyPassword,
} from '../edge/src/domain/auth/password.ts';

const RUNS = Number(process.env.RUNS ?? 5);

async function time(label: string, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm up
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? 0;
  const min = samples[0] ?? 0;
  const max = samples[samples.length - 1] ?? 0;
  console.log(
    `${label.padEnd(52)} median ${median.toFixed(1).padStart(7)} ms  (min ${min.toFixed(1)}, max ${max.toFixed(1)}, n=${RUNS})`,
  );
}

const password = 'correct horse battery staple 42';
const variants: [string, HashParams][] = [
  ['argon2id m=19456 t=2 p=1 (default, OWASP #1)', DEFAULT_HASH_PARAMS],
  ['argon2id m=47104 t=1 p=1 (OWASP alternative)', { memoryKib: 47104, iterations: 1, parallelism: 1 }],
  ['argon2id m=12288 t=3 p=1 (OWASP alternative)', { memoryKib: 12288, iterations: 3, parallelism: 1 }],
];

console.log(`password hashing, ${RUNS} runs each (one hash = one login or registration)`);
for (const [label, params] of variants) await time(`hash   ${label}`, () => hashPassword(password, params));
const stored = await hashPassword(password);
await time('verify argon2id default', () => verifyPassword(password, stored, DEFAULT_HASH_PARAMS));

// For comparison: WebCrypto PBKDF2-SHA256 at the Workers cap (100,000 iterations; OWASP asks 600,000).
const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, [
  'deriveBits',
]);
await time('pbkdf2-sha256 100,000 iterations (Workers cap)', () =>
  crypto.subtle.deriveBits(
    {
      name: 'PBKDF2',
      hash: 'SHA-256',
      salt: crypto.getRandomValues(new Uint8Array(16)),
      iterations: 100_000,
    },
    key,
    256,
  ),
);
