import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema.ts';

export type Database = ReturnType<typeof build>;

const build = (d1: D1Database) => drizzle(d1, { schema });

/**
 * One drizzle instance per D1 binding for the isolate's life: `drizzle(…, { schema })` walks the whole
 * schema to build its relational config (≈ 1–2 ms of CPU, measured with a V8 profile of local workerd),
 * and the instance holds nothing of a request, so building it once per request was pure cost. Keyed by
 * the binding object, so a test's or another environment's database gets its own.
 */
const instances = new WeakMap<D1Database, Database>();

export function database(d1: D1Database): Database {
  let db = instances.get(d1);
  if (!db) {
    db = build(d1);
    instances.set(d1, db);
  }
  return db;
}

/** A statement drizzle built: its SQL text and bound parameters. */
interface BuiltQuery {
  sql: string;
  params: unknown[];
}

/**
 * Statements drizzle built, sent as one D1 batch: one round trip and one transaction, in order. For
 * what drizzle's own `db.batch` cannot carry: a raw `db.run(sql)` with parameters (its D1 session
 * binds those through a prepared statement that a raw query does not have).
 */
export function batchBuilt(d1: D1Database, queries: BuiltQuery[]): Promise<D1Result[]> {
  return d1.batch(queries.map((q) => d1.prepare(q.sql).bind(...q.params)));
}
