/**
 * A D1 binding whose matching statements wait until the test lets them go: the way to hold a Durable
 * Object inside "the result is being written" and look at what a client sees in that window. Only the
 * statements `matches` selects are held; everything else goes straight to the real database.
 */

export interface HeldStatements {
  db: D1Database;
  /** Resolves with the SQL of the first held statement, once it is waiting. */
  reached: Promise<string>;
  release(): void;
}

const EXECUTE = new Set(['run', 'all', 'raw', 'first']);

export function holdStatements(real: D1Database, matches: (sql: string) => boolean): HeldStatements {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let reachedWith: (sql: string) => void = () => undefined;
  const reached = new Promise<string>((r) => {
    reachedWith = r;
  });

  const held = (sql: string, stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const fn = value as (...args: unknown[]) => unknown;
        if (prop === 'bind')
          return (...args: unknown[]) => held(sql, fn.apply(target, args) as D1PreparedStatement);
        if (EXECUTE.has(String(prop))) {
          return async (...args: unknown[]) => {
            reachedWith(sql);
            await released;
            return fn.apply(target, args);
          };
        }
        return fn.bind(target);
      },
    });

  const db = new Proxy(real, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'prepare') {
        return (sql: string) => {
          const stmt = fn.call(target, sql) as D1PreparedStatement;
          return matches(sql) ? held(sql, stmt) : stmt;
        };
      }
      return fn.bind(target);
    },
  });
  return { db, reached, release };
}
