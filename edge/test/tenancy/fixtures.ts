/** Worker secrets are not in the generated `Env` type (they are not vars); tests override them through this. */
export function secretOverrides(secrets: Record<string, string>): Partial<Env> {
  return secrets as unknown as Partial<Env>;
}
