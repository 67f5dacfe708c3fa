// `mcp-stripe migrate`: brings the store's schema up to this release and says where it stands. Servers
// migrate at start too (under the same lock, so N instances starting at once migrate once); this is
// for doing it ahead of a rollout. A database newer than this release is refused, and nothing changes.
import type { Flags } from '../config/options.js';
import { storePath } from '../storage/open.js';
import { fail, optionsOrFail } from './common.js';

export async function runMigrate(flags: Flags): Promise<void> {
  const { dataDir, databaseUrl } = optionsOrFail(flags, ['dataDir', 'databaseUrl']);
  if (databaseUrl) {
    const [{ openDb }, { migrate, MIGRATIONS, SchemaTooNewError }] = await Promise.all([
      import('../storage/postgres/db.js'),
      import('../storage/postgres/schema.js'),
    ]);
    const db = openDb(databaseUrl, { max: 1 });
    try {
      const ran = await migrate(db.pool);
      const where = new URL(databaseUrl);
      process.stdout.write(
        `${ran === 0 ? 'up to date' : `applied ${ran} migration${ran === 1 ? '' : 's'}`}: Postgres ${where.host}${where.pathname} is at schema version ${MIGRATIONS.length}\n`,
      );
    } catch (err) {
      if (err instanceof SchemaTooNewError) fail([err.message]);
      fail([`could not migrate Postgres at ${new URL(databaseUrl).host}: ${(err as Error).message}`]);
    } finally {
      await db.pool.end();
    }
    return;
  }
  const { openSqlite } = await import('../storage/sqlite/index.js');
  const path = storePath(dataDir);
  openSqlite(path).close();
  process.stdout.write(`up to date: SQLite ${path}\n`);
}
