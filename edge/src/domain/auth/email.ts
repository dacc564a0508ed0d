import { z } from 'zod';

/**
 * Emails are compared and stored normalized: trimmed and lower-cased (domains are
 * case-insensitive; treating local parts so too is what users expect and blocks look-alike
 * duplicate accounts). No provider-specific rewriting (dots, plus tags).
 */
export const emailSchema = z
  .string()
  .max(254)
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.email({ message: 'must be a valid email address' }));
