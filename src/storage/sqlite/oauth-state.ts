import type Database from 'better-sqlite3';
import type { OAuthStateStore } from '../ports.js';

export const OAUTH_STATE_MIGRATION = `CREATE TABLE oauth_state (
     model TEXT NOT NULL,
     id TEXT NOT NULL,
     payload TEXT NOT NULL,
     expires_at INTEGER,
     grant_id TEXT,
     user_code TEXT,
     uid TEXT,
     consumed_at INTEGER,
     PRIMARY KEY (model, id)
   );
   CREATE INDEX oauth_state_grant ON oauth_state (grant_id);
   CREATE INDEX oauth_state_uid ON oauth_state (model, uid);
   CREATE INDEX oauth_state_user_code ON oauth_state (model, user_code);`;

const PRUNE_EVERY = 200;

interface Row {
  payload: string;
  expires_at: number | null;
  consumed_at: number | null;
}

/** The embedded authorization server's state in SQLite: it survives a restart, and expired rows are pruned. */
export class SqliteOAuthState implements OAuthStateStore {
  private readonly put;
  private readonly get;
  private readonly byUid;
  private readonly byUserCode;
  private readonly consumeOne;
  private readonly remove;
  private readonly revokeGrant;
  private readonly prune;
  private readonly ofModel;
  private writes = 0;

  constructor(db: Database.Database) {
    this.put = db.prepare(
      `INSERT INTO oauth_state (model, id, payload, expires_at, grant_id, user_code, uid, consumed_at)
       VALUES (@model, @id, @payload, @expiresAt, @grantId, @userCode, @uid, NULL)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at,
         grant_id = excluded.grant_id, user_code = excluded.user_code, uid = excluded.uid`,
    );
    this.get = db.prepare<[string, string], Row>(
      'SELECT payload, expires_at, consumed_at FROM oauth_state WHERE model = ? AND id = ?',
    );
    this.byUid = db.prepare<[string, string], Row>(
      'SELECT payload, expires_at, consumed_at FROM oauth_state WHERE model = ? AND uid = ?',
    );
    this.byUserCode = db.prepare<[string, string], Row>(
      'SELECT payload, expires_at, consumed_at FROM oauth_state WHERE model = ? AND user_code = ?',
    );
    this.consumeOne = db.prepare('UPDATE oauth_state SET consumed_at = ? WHERE model = ? AND id = ?');
    this.remove = db.prepare('DELETE FROM oauth_state WHERE model = ? AND id = ?');
    this.revokeGrant = db.prepare('DELETE FROM oauth_state WHERE grant_id = ?');
    this.ofModel = db.prepare<[string, number, number], Row & { id: string }>(
      'SELECT id, payload, expires_at, consumed_at FROM oauth_state WHERE model = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY rowid DESC LIMIT ?',
    );
    this.prune = db.prepare('DELETE FROM oauth_state WHERE expires_at IS NOT NULL AND expires_at <= ?');
  }

  upsert(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresAt: number | null,
    index: { grantId?: string; userCode?: string; uid?: string },
    now: number,
  ): Promise<void> {
    this.put.run({
      model,
      id,
      payload: JSON.stringify(payload),
      expiresAt,
      grantId: index.grantId ?? null,
      userCode: index.userCode ?? null,
      uid: index.uid ?? null,
    });
    // Every so often, drop what has expired (sessions and tokens would otherwise pile up).
    if (++this.writes % PRUNE_EVERY === 0) this.prune.run(now);
    return Promise.resolve();
  }

  find(model: string, id: string, now: number) {
    return Promise.resolve(read(this.get.get(model, id), now));
  }

  findBy(model: string, field: 'uid' | 'userCode', value: string, now: number) {
    return Promise.resolve(read((field === 'uid' ? this.byUid : this.byUserCode).get(model, value), now));
  }

  consume(model: string, id: string, now: number): Promise<void> {
    this.consumeOne.run(Math.floor(now / 1000), model, id);
    return Promise.resolve();
  }

  destroy(model: string, id: string): Promise<void> {
    this.remove.run(model, id);
    return Promise.resolve();
  }

  list(model: string, now: number, limit: number) {
    return Promise.resolve(
      this.ofModel
        .all(model, now, limit)
        .map((r) => ({ id: r.id, payload: JSON.parse(r.payload) as Record<string, unknown> })),
    );
  }

  revokeByGrantId(grantId: string): Promise<void> {
    this.revokeGrant.run(grantId);
    return Promise.resolve();
  }
}

function read(row: Row | undefined, now: number): Record<string, unknown> | undefined {
  if (!row || (row.expires_at !== null && row.expires_at <= now)) return undefined;
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
}
