/**
 * The e2e edge's mail: with no mail sender configured the edge keeps its messages in the outbox table
 * of its local D1, which this reads (read-only, as scripts/outbox-watch.ts does for `npm start`).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The token of the newest `#token=` link to `recipient` whose token starts with `prefix`. */
export function latestMailToken(persistTo: string, recipient: string, prefix: string): string | undefined {
  const dir = join(persistTo, 'v3/d1/miniflare-D1DatabaseObject');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sqlite'))) {
    const db = new DatabaseSync(join(dir, file), { readOnly: true });
    try {
      const rows = db
        .prepare('SELECT body FROM outbox WHERE recipient = ? ORDER BY created_at DESC')
        .all(recipient) as { body: string }[];
      for (const { body } of rows) {
        const token = /#token=([A-Za-z0-9_-]+)/.exec(body)?.[1];
        if (token?.startsWith(prefix)) return token;
      }
    } catch {
      // another D1 database of the same state directory (no outbox table)
    } finally {
      db.close();
    }
  }
  return undefined;
}
