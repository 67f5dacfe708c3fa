import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AuditLog,
  AuditRecord,
  LedgerReservation,
  MoneyLedger,
  ReserveOutcome,
  Store,
} from '../ports.js';

/** Schema migrations, applied in order; `user_version` records how many have run. */
const MIGRATIONS = [
  `CREATE TABLE money_ledger (
     id TEXT PRIMARY KEY,
     scope TEXT NOT NULL,
     currency TEXT NOT NULL,
     amount INTEGER NOT NULL,
     tool TEXT NOT NULL,
     object_id TEXT,
     at INTEGER NOT NULL
   );
   CREATE INDEX money_ledger_scope ON money_ledger (scope, currency, at);
   CREATE INDEX money_ledger_object ON money_ledger (scope, object_id, at);
   CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX audit_log_at ON audit_log (at);`,
];

export function openSqlite(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Database.Database): void {
  const done = db.pragma('user_version', { simple: true }) as number;
  for (let i = done; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    }).immediate();
  }
}

class SqliteLedger implements MoneyLedger {
  private readonly sumScope;
  private readonly sumObject;
  private readonly insert;
  private readonly update;
  private readonly remove;
  private readonly reserveTx;

  constructor(db: Database.Database) {
    this.sumScope = db.prepare<[string, string, number, number], { s: number | null }>(
      'SELECT SUM(amount) AS s FROM money_ledger WHERE scope = ? AND currency = ? AND at > ? AND at <= ?',
    );
    this.sumObject = db.prepare<[string, string, number, number], { s: number | null }>(
      'SELECT SUM(amount) AS s FROM money_ledger WHERE scope = ? AND object_id = ? AND at > ? AND at <= ?',
    );
    this.insert = db.prepare(
      'INSERT INTO money_ledger (id, scope, currency, amount, tool, object_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.update = db.prepare(
      'UPDATE money_ledger SET amount = ?, object_id = COALESCE(?, object_id) WHERE id = ?',
    );
    this.remove = db.prepare('DELETE FROM money_ledger WHERE id = ?');
    // IMMEDIATE: the check and the insert are one step even across processes sharing the file.
    this.reserveTx = db.transaction((r: LedgerReservation): ReserveOutcome => {
      const used = this.sumScope.get(r.scope, r.currency, r.now - r.windowMs, r.now)?.s ?? 0;
      if (used + r.amount > r.limit) return { ok: false, used };
      const id = randomUUID();
      this.insert.run(id, r.scope, r.currency, r.amount, r.tool, r.objectId ?? null, r.now);
      return { ok: true, id, used };
    });
  }

  reserve(r: LedgerReservation): Promise<ReserveOutcome> {
    return Promise.resolve(this.reserveTx.immediate(r));
  }

  settle(id: string, final: { amount: number; objectId?: string }): Promise<void> {
    this.update.run(final.amount, final.objectId ?? null, id);
    return Promise.resolve();
  }

  release(id: string): Promise<void> {
    this.remove.run(id);
    return Promise.resolve();
  }

  used(scope: string, currency: string, now: number, windowMs: number): Promise<number> {
    return Promise.resolve(this.sumScope.get(scope, currency, now - windowMs, now)?.s ?? 0);
  }

  countedFor(scope: string, objectId: string, now: number, windowMs: number): Promise<number> {
    return Promise.resolve(this.sumObject.get(scope, objectId, now - windowMs, now)?.s ?? 0);
  }
}

class SqliteAudit implements AuditLog {
  private readonly insert;
  private readonly select;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO audit_log (at, record) VALUES (?, ?)');
    this.select = db.prepare<[string, number], { record: string }>(
      'SELECT record FROM (SELECT seq, record FROM audit_log WHERE at >= ? ORDER BY seq DESC LIMIT ?) ORDER BY seq ASC',
    );
  }

  append(record: AuditRecord): Promise<void> {
    this.insert.run(record.at, JSON.stringify(record));
    return Promise.resolve();
  }

  query({ since, limit }: { since?: Date; limit?: number }): Promise<AuditRecord[]> {
    const rows = this.select.all(since?.toISOString() ?? '', limit ?? -1);
    return Promise.resolve(rows.map((r) => JSON.parse(r.record) as AuditRecord));
  }
}

/** The default durable store: one SQLite file (WAL) in the data directory. */
export function createSqliteStore(path: string): Store {
  const db = openSqlite(path);
  return {
    ledger: new SqliteLedger(db),
    audit: new SqliteAudit(db),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}
