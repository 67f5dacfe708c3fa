import type Database from 'better-sqlite3';
import type { ApiKeyRecord, ApiKeyStore } from '../ports.js';
import { toApiKey, type ApiKeyRow } from '../rows.js';

export const API_KEY_MIGRATION = `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     prefix TEXT NOT NULL,
     scopes TEXT NOT NULL,
     tenant TEXT,
     created_at INTEGER NOT NULL,
     expires_at INTEGER,
     revoked_at INTEGER
   );
   CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;`;

/** Issued api keys. A key revoked by `mcp-stripe keys revoke` in another process fails on its next request: nothing is cached. */
export class SqliteApiKeys implements ApiKeyStore {
  private readonly insert;
  private readonly findHash;
  private readonly all;
  private readonly revokeTx;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      'INSERT INTO api_keys (id, name, hash, prefix, scopes, tenant, created_at, expires_at, revoked_at) VALUES (@id, @name, @hash, @prefix, @scopes, @tenant, @createdAt, @expiresAt, @revokedAt) ON CONFLICT DO NOTHING',
    );
    this.findHash = db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE hash = ?');
    this.all = db.prepare<[], ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at DESC, rowid DESC');
    const active = db.prepare<[string, string], ApiKeyRow>(
      'SELECT * FROM api_keys WHERE (id = ? OR name = ?) AND revoked_at IS NULL LIMIT 1',
    );
    const setRevoked = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?');
    this.revokeTx = db.transaction((idOrName: string, now: number) => {
      const row = active.get(idOrName, idOrName);
      if (!row) return undefined;
      setRevoked.run(now, row.id);
      return toApiKey({ ...row, revoked_at: now });
    });
  }

  create(r: ApiKeyRecord): Promise<boolean> {
    const info = this.insert.run({ ...r, scopes: JSON.stringify(r.scopes) });
    return Promise.resolve(info.changes === 1);
  }

  byHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = this.findHash.get(hash);
    return Promise.resolve(row && toApiKey(row));
  }

  list(): Promise<ApiKeyRecord[]> {
    return Promise.resolve(this.all.all().map(toApiKey));
  }

  revoke(idOrName: string, now: number): Promise<ApiKeyRecord | undefined> {
    return Promise.resolve(this.revokeTx.immediate(idOrName, now));
  }
}
