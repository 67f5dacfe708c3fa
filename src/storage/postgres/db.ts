// One connection pool and the two ways this adapter talks to it: a single statement, or a transaction
// on one client. BIGINT columns come back as numbers (every value here is a count, an amount in minor
// units or a millisecond time: all far inside 2^53).
import pg from 'pg';

export type Row = Record<string, unknown>;

export interface Db {
  /** With `name`, prepared once per connection and reused (for statements that run very often). */
  query<R extends Row = Row>(sql: string, params?: unknown[], name?: string): Promise<R[]>;
  /** Runs `fn` in one transaction on one client: committed when it returns, rolled back when it throws. */
  tx<T>(fn: (q: Db['query']) => Promise<T>): Promise<T>;
  readonly pool: pg.Pool;
}

const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): ((v: string) => unknown) =>
    oid === INT8 || oid === NUMERIC
      ? (v: string) => Number(v)
      : (pg.types.getTypeParser(oid, format ?? 'text') as (v: string) => unknown),
};

/** A pool on `url`; with `schema`, every connection works in that schema (created if missing). */
export function openDb(url: string, opts: { schema?: string; max?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    types: types,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client's error (the server went away) must not crash the process: the next query reconnects.
  pool.on('error', () => {});
  const query = async <R extends Row>(sql: string, params?: unknown[], name?: string) =>
    (await pool.query<R>(name ? { name, text: sql, values: params } : { text: sql, values: params })).rows;
  return {
    pool,
    query,
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(
          async <R extends Row>(sql: string, params?: unknown[]) => (await client.query<R>(sql, params)).rows,
        );
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

/** A schema name safe to put in SQL as it is. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error(`"${schema}" is not a schema name this server uses (lowercase letters, digits, _)`);
  return schema;
}
