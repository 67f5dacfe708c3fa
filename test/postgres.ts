// Postgres for tests: the database `DATABASE_URL` names (CI sets it: the machine's Postgres at
// 127.0.0.1:5432, database `test`), a fresh schema per store, dropped when the test file ends.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Store } from '../src/storage/ports.js';
import { createPostgresStore } from '../src/storage/postgres/index.js';

/** Moved out of DATABASE_URL by test/setup-env.ts, so the servers tests start never see it. */
export const DATABASE_URL = process.env.MCP_STRIPE_TEST_DATABASE_URL;

/** What a skipped Postgres test says. */
export const NO_POSTGRES =
  'Postgres: skipped, DATABASE_URL is not set (to run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test)';

const made: string[] = [];

/** A schema no other test uses (`mcp_stripe_t_…`). */
export function freshSchema(): string {
  const schema = `mcp_stripe_t_${randomBytes(6).toString('hex')}`;
  made.push(schema);
  return schema;
}

/** A store on a fresh schema, or on `schema` (a second handle: another instance on the same database). */
export function postgresStore(schema: string = freshSchema()): Promise<Store> {
  if (!DATABASE_URL) throw new Error(NO_POSTGRES);
  return createPostgresStore(DATABASE_URL, { schema });
}

/** Drops every schema this file made. */
export async function dropSchemas(): Promise<void> {
  if (!DATABASE_URL || made.length === 0) return;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const schema of made.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
