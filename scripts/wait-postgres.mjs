/* global process, setTimeout, URL */
// CI: waits (up to a minute) for the Postgres that DATABASE_URL names to accept connections. Exit 0
// when it does, 1 when it never did (CI then runs without it, and the Postgres tests say they skipped).
import pg from 'pg';

const url = process.env.DATABASE_URL;
if (!url) process.exit(1);
for (let i = 0; i < 60; i++) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
    process.exit(0);
  } catch {
    await client.end().catch(() => {});
    await new Promise((r) => setTimeout(r, 1000));
  }
}
process.stderr.write(`Postgres at ${new URL(url).host} did not answer within a minute\n`);
process.exit(1);
