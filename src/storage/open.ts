import { join } from 'node:path';
import { createMemoryStore } from './memory/index.js';
import type { Store } from './ports.js';

/** The store file for a data directory. */
export function storePath(dataDir: string): string {
  return join(dataDir, 'mcp-stripe.db');
}

/**
 * The durable store for a configuration: Postgres with `--database-url` (shared by every instance),
 * SQLite in the data directory, or memory for the throwaway sandbox. Each adapter (and its driver)
 * loads only when it is used.
 */
export async function openStore(where: {
  memory: boolean;
  dataDir: string;
  databaseUrl?: string;
}): Promise<Store> {
  if (where.memory) return createMemoryStore();
  if (where.databaseUrl) {
    const { createPostgresStore } = await import('./postgres/index.js');
    return createPostgresStore(where.databaseUrl);
  }
  const { createSqliteStore } = await import('./sqlite/index.js');
  return createSqliteStore(storePath(where.dataDir));
}
