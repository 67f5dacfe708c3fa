import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { closeAll } from '../../util/close-all.js';
import { lifecycleRank, typeLike } from '../glob.js';
import type {
  AuditLog,
  AuditQuery,
  AuditRecord,
  EventLog,
  EventQuery,
  LedgerReservation,
  LedgerUsage,
  MoneyLedger,
  ObjectState,
  ReserveOutcome,
  Store,
  StoredEvent,
} from '../ports.js';
import { toEvent, type EventRow } from '../rows.js';
import { API_KEY_MIGRATION, SqliteApiKeys } from './api-keys.js';
import { APPROVAL_MIGRATION, SqliteApprovals, SqliteOperators } from './approvals.js';
import { BILLING_MIGRATION, SqliteBilling } from './billing.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { OAUTH_STATE_MIGRATION, SqliteOAuthState } from './oauth-state.js';

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
  `CREATE TABLE events (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     api_version TEXT,
     livemode INTEGER NOT NULL,
     account TEXT,
     object_type TEXT,
     object_id TEXT,
     created INTEGER NOT NULL,
     received_at INTEGER NOT NULL,
     payload TEXT NOT NULL
   );
   CREATE INDEX events_order ON events (created DESC, id DESC);
   CREATE INDEX events_object ON events (object_id, created DESC, id DESC);
   CREATE INDEX events_type ON events (type, created DESC);
   CREATE TABLE object_state (
     object_id TEXT PRIMARY KEY,
     object_type TEXT,
     created INTEGER NOT NULL,
     rank INTEGER NOT NULL,
     event_id TEXT NOT NULL,
     state TEXT NOT NULL
   );`,
  // The call's idempotency key (a repeat counts once) and whether the money moved or may have.
  `ALTER TABLE money_ledger ADD COLUMN idem_key TEXT;
   ALTER TABLE money_ledger ADD COLUMN state TEXT NOT NULL DEFAULT 'settled';
   CREATE INDEX money_ledger_key ON money_ledger (scope, idem_key, at);`,
  // Approvals and console sign-in, shared by every process on this file.
  APPROVAL_MIGRATION,
  // Api keys the server issued (hashes only).
  API_KEY_MIGRATION,
  // The embedded authorization server's clients, grants, sessions and tokens.
  OAUTH_STATE_MIGRATION,
  // Charging for tools: customers, subscriptions, quotas, usage, the metering outbox.
  BILLING_MIGRATION,
];

/**
 * The store holds customers' data (event payloads, audit records): a directory it creates is the
 * user's alone (0700), and a new database file is 0600 (SQLite gives its WAL and shared-memory
 * files the database file's mode). Existing files and directories keep theirs.
 */
export function openSqlite(path: string): Database.Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
  }
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
  private readonly sumByCurrency;
  private readonly sumAll;
  private readonly byKey;
  private readonly insert;
  private readonly update;
  private readonly remove;
  private readonly reserveTx;

  constructor(
    db: Database.Database,
    private readonly wrote: () => void,
  ) {
    this.sumScope = db.prepare<[string, string, number], { s: number | null }>(
      'SELECT SUM(amount) AS s FROM money_ledger WHERE scope = ? AND currency = ? AND at > ?',
    );
    this.sumByCurrency = db.prepare<[string, number], { currency: string; s: number }>(
      'SELECT currency, SUM(amount) AS s FROM money_ledger WHERE scope = ? AND at > ? GROUP BY currency',
    );
    this.sumAll = db.prepare<[number], LedgerUsage>(
      'SELECT scope, currency, SUM(amount) AS amount FROM money_ledger WHERE at > ? GROUP BY scope, currency',
    );
    this.sumObject = db.prepare<[string, string, number], { s: number | null }>(
      'SELECT SUM(amount) AS s FROM money_ledger WHERE scope = ? AND object_id = ? AND at > ?',
    );
    this.byKey = db.prepare<[string, string, number], { id: string }>(
      'SELECT id FROM money_ledger WHERE scope = ? AND idem_key = ? AND at > ? LIMIT 1',
    );
    this.insert = db.prepare(
      "INSERT INTO money_ledger (id, scope, currency, amount, tool, object_id, idem_key, state, at) VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?)",
    );
    this.update = db.prepare(
      'UPDATE money_ledger SET state = ?, amount = COALESCE(?, amount), object_id = COALESCE(object_id, ?) WHERE id = ?',
    );
    this.remove = db.prepare('DELETE FROM money_ledger WHERE id = ?');
    // IMMEDIATE: the checks and the insert are one step even across processes sharing the file.
    this.reserveTx = db.transaction((r: LedgerReservation): ReserveOutcome => {
      const from = r.now - r.windowMs;
      const used = this.sumScope.get(r.scope, r.currency, from)?.s ?? 0;
      const earlier = r.key ? this.byKey.get(r.scope, r.key, from) : undefined;
      if (earlier) return { ok: true, id: earlier.id, used, amount: 0, repeat: true };
      const counted = r.objectId ? (this.sumObject.get(r.scope, r.objectId, from)?.s ?? 0) : 0;
      const amount = Math.max(0, r.amount - counted);
      if (used + amount > r.limit) return { ok: false, used, amount };
      const id = randomUUID();
      this.insert.run(id, r.scope, r.currency, amount, r.tool, r.objectId ?? null, r.key ?? null, r.now);
      return { ok: true, id, used, amount, repeat: false };
    });
  }

  reserve(r: LedgerReservation): Promise<ReserveOutcome> {
    this.wrote();
    return Promise.resolve(this.reserveTx.immediate(r));
  }

  settle(
    id: string,
    final: { state: 'settled' | 'unknown'; amount?: number; objectId?: string },
  ): Promise<void> {
    this.update.run(final.state, final.amount ?? null, final.objectId ?? null, id);
    return Promise.resolve();
  }

  release(id: string): Promise<void> {
    this.remove.run(id);
    return Promise.resolve();
  }

  totals(scope: string, now: number, windowMs: number): Promise<Record<string, number>> {
    const rows = this.sumByCurrency.all(scope, now - windowMs);
    return Promise.resolve(Object.fromEntries(rows.map((r) => [r.currency, r.s])));
  }

  usage(now: number, windowMs: number): Promise<LedgerUsage[]> {
    return Promise.resolve(this.sumAll.all(now - windowMs));
  }

  used(scope: string, currency: string, now: number, windowMs: number): Promise<number> {
    return Promise.resolve(this.sumScope.get(scope, currency, now - windowMs)?.s ?? 0);
  }
}

/** A filter given as NULL matches everything. */
interface AuditParams {
  since: string;
  until: string | null;
  tool: string | null;
  outcome: string | null;
  caller: string | null;
  tenant: string | null;
  limit: number;
}

class SqliteAudit implements AuditLog {
  private readonly insert;
  private readonly select;

  constructor(
    db: Database.Database,
    private readonly wrote: () => void,
  ) {
    this.insert = db.prepare('INSERT INTO audit_log (at, record) VALUES (?, ?)');
    // A filter given as NULL matches everything.
    this.select = db.prepare<[AuditParams], { record: string }>(
      `SELECT record FROM (
         SELECT seq, record FROM audit_log
         WHERE at >= @since AND (@until IS NULL OR at < @until)
           AND (@tool IS NULL OR json_extract(record, '$.tool') = @tool)
           AND (@outcome IS NULL OR json_extract(record, '$.outcome') = @outcome)
           AND (@caller IS NULL OR json_extract(record, '$.caller') = @caller)
           AND (@tenant IS NULL OR json_extract(record, '$.tenant') = @tenant)
         ORDER BY seq DESC LIMIT @limit
       ) ORDER BY seq ASC`,
    );
  }

  append(record: AuditRecord): Promise<void> {
    this.wrote();
    this.insert.run(record.at, JSON.stringify(record));
    return Promise.resolve();
  }

  query({ since, until, tool, outcome, caller, tenant, limit }: AuditQuery): Promise<AuditRecord[]> {
    const rows = this.select.all({
      since: since?.toISOString() ?? '',
      until: until?.toISOString() ?? null,
      tool: tool ?? null,
      outcome: outcome ?? null,
      caller: caller ?? null,
      tenant: tenant ?? null,
      limit: limit ?? -1,
    });
    return Promise.resolve(rows.map((r) => JSON.parse(r.record) as AuditRecord));
  }
}

class SqliteEventLog implements EventLog {
  private readonly insert;
  private readonly upsertState;
  private readonly byId;
  private readonly stateOf;
  private readonly total;
  private readonly appendBatch;
  private readonly appendOne: (e: StoredEvent) => 'stored' | 'duplicate';

  constructor(
    private readonly db: Database.Database,
    private readonly wrote: () => void,
  ) {
    this.insert = db.prepare(
      `INSERT INTO events (id, type, api_version, livemode, account, object_type, object_id, created, received_at, payload)
       VALUES (@id, @type, @apiVersion, @livemode, @account, @objectType, @objectId, @created, @receivedAt, @payload)
       ON CONFLICT (id) DO NOTHING`,
    );
    // Newer by (created, event id) wins; an older event arriving late changes nothing.
    // Newer by (created, lifecycle rank, event id) wins; an older event arriving late changes nothing.
    this.upsertState = db.prepare(
      `INSERT INTO object_state (object_id, object_type, created, rank, event_id, state) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (object_id) DO UPDATE SET object_type = excluded.object_type, created = excluded.created,
         rank = excluded.rank, event_id = excluded.event_id, state = excluded.state
       WHERE (excluded.created, excluded.rank, excluded.event_id) > (object_state.created, object_state.rank, object_state.event_id)`,
    );
    this.byId = db.prepare<[string], EventRow>('SELECT * FROM events WHERE id = ?');
    this.stateOf = db.prepare<
      [string],
      { object_id: string; object_type: string | null; created: number; event_id: string; state: string }
    >('SELECT * FROM object_state WHERE object_id = ?');
    this.total = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events');
    this.appendBatch = db.transaction((events: StoredEvent[]) => events.map((e) => this.appendOne(e)));
    this.appendOne = (e: StoredEvent): 'stored' | 'duplicate' => {
      const { payloadText: _text, ...row } = e;
      const info = this.insert.run({
        ...row,
        livemode: e.livemode ? 1 : 0,
        payload: e.payloadText ?? JSON.stringify(e.payload),
      });
      if (info.changes === 0) return 'duplicate';
      const object = (e.payload.data as { object?: unknown } | undefined)?.object;
      if (e.objectId && object) {
        this.upsertState.run(
          e.objectId,
          e.objectType,
          e.created,
          lifecycleRank(e.type),
          e.id,
          JSON.stringify(object),
        );
      }
      return 'stored';
    };
  }

  /**
   * Group commit: appends that arrive in the same tick share one transaction (each caller still
   * resolves only after the commit that holds its event), so a burst of webhooks costs one commit.
   */
  private queue: {
    event: StoredEvent;
    resolve: (r: 'stored' | 'duplicate') => void;
    reject: (e: unknown) => void;
  }[] = [];

  append(event: StoredEvent): Promise<'stored' | 'duplicate'> {
    return new Promise((resolve, reject) => {
      if (this.queue.push({ event, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    let outcomes: ('stored' | 'duplicate')[];
    this.wrote();
    try {
      outcomes = this.appendBatch.immediate(batch.map((b) => b.event));
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => b.resolve(outcomes[i]!));
  }

  get(id: string): Promise<StoredEvent | undefined> {
    const r = this.byId.get(id);
    return Promise.resolve(r && toEvent(r));
  }

  list(q: EventQuery): Promise<{ events: StoredEvent[]; hasMore: boolean }> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.type && q.type !== '*') {
      if (q.type.includes('*')) {
        where.push("type LIKE ? ESCAPE '\\'");
        args.push(typeLike(q.type));
      } else {
        where.push('type = ?');
        args.push(q.type);
      }
    }
    if (q.objectId) {
      where.push('object_id = ?');
      args.push(q.objectId);
    }
    if (q.since !== undefined) {
      where.push('created >= ?');
      args.push(q.since);
    }
    if (q.receivedAfter !== undefined) {
      where.push('received_at > ?');
      args.push(q.receivedAfter);
    }
    if (q.startingAfter) {
      const cursor = this.byId.get(q.startingAfter);
      if (!cursor) return Promise.resolve({ events: [], hasMore: false });
      where.push('(created < ? OR (created = ? AND id < ?))');
      args.push(cursor.created, cursor.created, cursor.id);
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare<(string | number)[], EventRow>(sql).all(...args, q.limit + 1);
    return Promise.resolve({ events: rows.slice(0, q.limit).map(toEvent), hasMore: rows.length > q.limit });
  }

  objectState(objectId: string): Promise<ObjectState | undefined> {
    const r = this.stateOf.get(objectId);
    return Promise.resolve(
      r && {
        objectId: r.object_id,
        objectType: r.object_type,
        created: r.created,
        eventId: r.event_id,
        state: JSON.parse(r.state) as Record<string, unknown>,
      },
    );
  }

  count(): Promise<number> {
    return Promise.resolve(this.total.get()?.n ?? 0);
  }
}

/** The default durable store: one SQLite file (WAL) in the data directory. */
export function createSqliteStore(path: string): Store {
  const db = openSqlite(path);
  // Started by the first write: a server that only reads never pays for the thread (~7 MB).
  let checkpointer: Checkpointer | undefined;
  const wrote = () => {
    if (!checkpointer && path !== ':memory:' && db.open) checkpointer = startCheckpointer(db, path);
  };
  return {
    ledger: new SqliteLedger(db, wrote),
    billing: new SqliteBilling(db, wrote),
    audit: new SqliteAudit(db, wrote),
    events: new SqliteEventLog(db, wrote),
    approvals: new SqliteApprovals(db, wrote),
    apiKeys: new SqliteApiKeys(db),
    oauth: new SqliteOAuthState(db),
    operators: new SqliteOperators(db),
    // The database closes even when the checkpoint worker fails to stop.
    close: () =>
      closeAll([
        () => checkpointer?.stop(),
        () => {
          db.close();
        },
      ]),
  };
}
