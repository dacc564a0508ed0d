/**
 * A function that runs only on its first call; later calls do nothing. For warnings that a failing
 * cgroup write would otherwise repeat for every run (a read-only mount fails alike each time).
 */
export function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let called = false;
  return (...args) => {
    if (called) return;
    called = true;
    fn(...args);
  };
}
