/**
 * What files cost of a run's /work. tmpfs charges whole pages, so a file takes its size rounded up
 * to a page, and at least one: 10,000 one-byte files fill 40 MiB, not 10 KiB. The edge refuses a
 * run whose files do not fit (`files_too_large_for_run`) and the host checks again before packing.
 */
export const TMPFS_PAGE_BYTES = 4096;

export function workFootprint(fileSizes: Iterable<number>): number {
  let total = 0;
  for (const size of fileSizes) total += Math.max(1, Math.ceil(size / TMPFS_PAGE_BYTES)) * TMPFS_PAGE_BYTES;
  return total;
}
