/**
 * drizzle puts a failed query's parameters in its error message (`Failed query: ...\nparams: ...`),
 * and errors are logged. For statements whose parameters include ciphertext or key hashes, rethrow
 * with only the query's table and the driver's own reason, so logs never hold them.
 */
export async function withoutParams<T>(what: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
    const reason = (cause?.message ?? (err instanceof Error ? err.message : 'unknown')).split('\n')[0] ?? '';
    throw new Error(`${what} failed: ${reason.replace(/params:.*$/, '').slice(0, 200)}`);
  }
}
