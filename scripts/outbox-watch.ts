/**
 * Local mail: prints messages the edge queued in its outbox (e.g. password-reset links), reading
 * wrangler dev's local D1 file read-only. Production sends them through the mail API instead.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const dir = join(process.cwd(), '.wrangler/state/v3/d1/miniflare-D1DatabaseObject');
const intervalMs = 2000;
let lastSeen = Date.now() - 60_000;

interface OutboxRow {
  recipient: string;
  subject: string;
  body: string;
  created_at: number;
}

function poll(): void {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.sqlite'));
  } catch {
    return; // no local database yet
  }
  for (const file of files) {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(join(dir, file), { readOnly: true });
      const rows = db
        .prepare(
          'SELECT recipient, subject, body, created_at FROM outbox WHERE created_at > ? ORDER BY created_at',
        )
        .all(lastSeen) as unknown as OutboxRow[];
      for (const row of rows) {
        console.log(`\n[outbox] to: ${row.recipient}\n[outbox] subject: ${row.subject}\n${row.body}\n`);
        lastSeen = Math.max(lastSeen, row.created_at);
      }
    } catch {
      // a database without an outbox table (not ours) or busy: try again next tick
    } finally {
      db?.close();
    }
  }
}

setInterval(poll, intervalMs);
poll();
