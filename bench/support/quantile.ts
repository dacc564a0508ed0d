/** The q-quantile (0..1) of the samples by rank, NaN samples left out; NaN when none are left. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = samples.filter((n) => !Number.isNaN(n)).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
