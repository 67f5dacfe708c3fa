// Every durable port on one Postgres database (`--database-url`), for several instances behind a load
// balancer: what one instance writes, the others read, and every check-then-write is one transaction
// (serialized where two instances could race: per ledger scope, per approval, per quota row).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres } from 'rate-limiter-flexible';
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
import { PgApiKeys, PgApprovals, PgOAuthState, PgOperators } from './auth.js';
import { PgBilling } from './billing.js';
import { checkSchemaName, openDb, type Db } from './db.js';
import { migrate } from './schema.js';

class PgLedger implements MoneyLedger {
  constructor(private readonly db: Db) {}

  reserve(r: LedgerReservation): Promise<ReserveOutcome> {
    return this.db.tx(async (q) => {
      // One reservation per scope at a time, across every instance: the sums and the insert are one step.
      await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`ledger:${r.scope}`]);
      const from = r.now - r.windowMs;
      const [sum] = await q<{ s: number | null }>(
        'SELECT SUM(amount) AS s FROM money_ledger WHERE scope = $1 AND currency = $2 AND at > $3',
        [r.scope, r.currency, from],
      );
      const used = sum?.s ?? 0;
      if (r.key) {
        const [earlier] = await q<{ id: string }>(
          'SELECT id FROM money_ledger WHERE scope = $1 AND idem_key = $2 AND at > $3 LIMIT 1',
          [r.scope, r.key, from],
        );
        if (earlier) return { ok: true, id: earlier.id, used, amount: 0, repeat: true };
      }
      const [obj] = r.objectId
        ? await q<{ s: number | null }>(
            'SELECT SUM(amount) AS s FROM money_ledger WHERE scope = $1 AND object_id = $2 AND at > $3',
            [r.scope, r.objectId, from],
          )
        : [];
      const amount = Math.max(0, r.amount - (obj?.s ?? 0));
      if (used + amount > r.limit) return { ok: false, used, amount };
      const id = randomUUID();
      await q(
        "INSERT INTO money_ledger (id, scope, currency, amount, tool, object_id, idem_key, state, at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'reserved', $8)",
        [id, r.scope, r.currency, amount, r.tool, r.objectId ?? null, r.key ?? null, r.now],
      );
      return { ok: true, id, used, amount, repeat: false };
    });
  }

  async settle(
    id: string,
    final: { state: 'settled' | 'unknown'; amount?: number; objectId?: string },
  ): Promise<void> {
    await this.db.query(
      'UPDATE money_ledger SET state = $1, amount = COALESCE($2, amount), object_id = COALESCE(object_id, $3) WHERE id = $4',
      [final.state, final.amount ?? null, final.objectId ?? null, id],
    );
  }

  async release(id: string): Promise<void> {
    await this.db.query('DELETE FROM money_ledger WHERE id = $1', [id]);
  }

  async totals(scope: string, now: number, windowMs: number): Promise<Record<string, number>> {
    const rows = await this.db.query<{ currency: string; s: number }>(
      'SELECT currency, SUM(amount) AS s FROM money_ledger WHERE scope = $1 AND at > $2 GROUP BY currency',
      [scope, now - windowMs],
    );
    return Object.fromEntries(rows.map((r) => [r.currency, r.s]));
  }

  usage(now: number, windowMs: number): Promise<LedgerUsage[]> {
    return this.db.query<LedgerUsage & Record<string, unknown>>(
      'SELECT scope, currency, SUM(amount) AS amount FROM money_ledger WHERE at > $1 GROUP BY scope, currency',
      [now - windowMs],
    );
  }

  async used(scope: string, currency: string, now: number, windowMs: number): Promise<number> {
    const [r] = await this.db.query<{ s: number | null }>(
      'SELECT SUM(amount) AS s FROM money_ledger WHERE scope = $1 AND currency = $2 AND at > $3',
      [scope, currency, now - windowMs],
    );
    return r?.s ?? 0;
  }
}

class PgAudit implements AuditLog {
  constructor(private readonly db: Db) {}

  async append(record: AuditRecord): Promise<void> {
    await this.db.query('INSERT INTO audit_log (at, record) VALUES ($1, $2)', [
      record.at,
      JSON.stringify(record),
    ]);
  }

  async query({ since, until, tool, outcome, caller, tenant, limit }: AuditQuery): Promise<AuditRecord[]> {
    // A filter given as NULL matches everything.
    const rows = await this.db.query<{ record: AuditRecord }>(
      `SELECT record FROM (
         SELECT seq, record FROM audit_log
         WHERE at >= $1 AND ($2::text IS NULL OR at < $2)
           AND ($3::text IS NULL OR record->>'tool' = $3)
           AND ($4::text IS NULL OR record->>'outcome' = $4)
           AND ($5::text IS NULL OR record->>'caller' = $5)
           AND ($6::text IS NULL OR record->>'tenant' = $6)
         ORDER BY seq DESC LIMIT $7
       ) newest ORDER BY seq ASC`,
      [
        since?.toISOString() ?? '',
        until?.toISOString() ?? null,
        tool ?? null,
        outcome ?? null,
        caller ?? null,
        tenant ?? null,
        limit ?? null,
      ],
    );
    return rows.map((r) => r.record);
  }
}

/** The channel stored events are announced on (the payload: the event id). */
const EVENTS_CHANNEL = 'mcp_stripe_events';
/**
 * Event batches written at once. One: the events that arrive while a batch is written go together in
 * the next, and on the bench machine fewer, larger statements store more per second than 2 or 4 at
 * once (docs/performance.md).
 */
const MAX_IN_FLIGHT = 1;
/** The most events in one batch. */
const MAX_BATCH = 500;

interface PendingAppend {
  event: StoredEvent;
  resolve(outcome: 'stored' | 'duplicate'): void;
  reject(err: unknown): void;
}

class PgEventLog implements EventLog {
  private readonly listeners = new Set<(eventId: string) => void>();
  private listening?: Promise<pg.PoolClient | undefined>;

  constructor(private readonly db: Db) {}

  subscribe(listener: (eventId: string) => void): { ready: Promise<void>; stop(): void } {
    this.listeners.add(listener);
    this.listening ??= this.listen();
    return {
      ready: this.listening.then(() => undefined),
      stop: () => this.listeners.delete(listener),
    };
  }

  /** One connection of its own, LISTENing; each announced id is told (the listener reads it if it wants it). */
  private async listen(): Promise<pg.PoolClient | undefined> {
    try {
      const client = await this.db.pool.connect();
      client.on('notification', (n) => {
        if (n.channel !== EVENTS_CHANNEL || !n.payload) return;
        for (const l of this.listeners) l(n.payload);
      });
      // A dropped connection: listen again on the next subscriber (the feed's poll covers the gap).
      client.on('error', () => {
        this.listening = undefined;
      });
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      return client;
    } catch {
      this.listening = undefined;
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.announcing;
    const client = await this.listening;
    this.listening = undefined;
    client?.release(true);
  }

  /**
   * Appends are written in batches (group commit): one goes at once; while MAX_IN_FLIGHT batches are
   * being written, the events that arrive wait and go together in the next, one statement each.
   */
  append(e: StoredEvent): Promise<'stored' | 'duplicate'> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event: e, resolve, reject });
      this.pump();
    });
  }

  private readonly pending: PendingAppend[] = [];
  private inFlight = 0;

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.writeBatch(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    try {
      const stored = await this.insert(batch.map((p) => p.event));
      this.announce(stored);
      // The first of an id in the batch is the one that could be stored; any other is a duplicate.
      const told = new Set<string>();
      for (const p of batch) {
        const first = !told.has(p.event.id);
        told.add(p.event.id);
        p.resolve(first && stored.has(p.event.id) ? 'stored' : 'duplicate');
      }
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // One event the database refuses must not fail the others: each on its own, then.
      for (const p of batch) await this.writeBatch([p]);
    }
  }

  /**
   * One statement, so one round trip and atomic on its own: the events (stamped with the database's
   * clock, so the instances' clocks do not matter; delivered to two instances at once, the primary key
   * lets exactly one store it) and the newest state of each object. Rows are taken in id order, so
   * concurrent batches lock in one order and cannot deadlock.
   */
  private async insert(events: StoredEvent[]): Promise<Set<string>> {
    const byId = new Map<string, StoredEvent>();
    for (const e of events) if (!byId.has(e.id)) byId.set(e.id, e);
    const rows = [...byId.values()];
    const col = <T>(f: (e: StoredEvent) => T) => rows.map(f);
    const state = (e: StoredEvent) => {
      const object = (e.payload.data as { object?: unknown } | undefined)?.object;
      return e.objectId && object ? JSON.stringify(object) : null;
    };
    // Newer by (created, lifecycle rank, event id) wins; an older event arriving late changes nothing.
    const inserted = await this.db.query<{ id: string }>(
      `WITH t AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::text[], $7::text[],
                              $8::bigint[], $9::text[], $10::text[], $11::integer[])
           AS t(id, type, api_version, livemode, account, object_type, object_id, created, payload, state, rank)
       ), ins AS (
         INSERT INTO events (id, type, api_version, livemode, account, object_type, object_id, created, received_at, payload)
         SELECT id, type, api_version, livemode, account, object_type, object_id, created,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint, payload
         FROM t ORDER BY id
         ON CONFLICT (id) DO NOTHING RETURNING id
       ), states AS (
         INSERT INTO object_state (object_id, object_type, created, rank, event_id, state)
         SELECT DISTINCT ON (t.object_id) t.object_id, t.object_type, t.created, t.rank, t.id, t.state
         FROM t JOIN ins ON ins.id = t.id
         WHERE t.state IS NOT NULL
         ORDER BY t.object_id, t.created DESC, t.rank DESC, t.id DESC
         ON CONFLICT (object_id) DO UPDATE SET object_type = EXCLUDED.object_type, created = EXCLUDED.created,
           rank = EXCLUDED.rank, event_id = EXCLUDED.event_id, state = EXCLUDED.state
         WHERE (EXCLUDED.created, EXCLUDED.rank, EXCLUDED.event_id) > (object_state.created, object_state.rank, object_state.event_id)
       )
       SELECT id FROM ins`,
      [
        col((e) => e.id),
        col((e) => e.type),
        col((e) => e.apiVersion),
        col((e) => e.livemode),
        col((e) => e.account),
        col((e) => e.objectType),
        col((e) => e.objectId),
        col((e) => e.created),
        col((e) => e.payloadText ?? JSON.stringify(e.payload)),
        col(state),
        col((e) => lifecycleRank(e.type)),
      ],
      'mcp_stripe_append_events',
    );
    return new Set(inserted.map((r) => r.id));
  }

  private readonly unannounced: string[] = [];
  private announcing?: Promise<void>;

  /**
   * Tells every instance's listeners (and this one's) about stored events, after they commit. Not in the
   * insert's transaction: Postgres serializes the commits of transactions that notify, flush included,
   * which undid group commit (about 1,000 events/s). Here one notifying statement is in flight at a time,
   * carrying every id stored meanwhile, and it does not wait for its flush: a notification lost in a crash
   * costs a waiter one poll, never an event.
   */
  private announce(ids: Set<string>): void {
    this.unannounced.push(...ids);
    this.announcing ??= (async () => {
      while (this.unannounced.length > 0) {
        const batch = this.unannounced.splice(0, MAX_BATCH);
        await this.db
          .query(
            `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, id) FROM unnest($2::text[]) AS t(id)`,
            [EVENTS_CHANNEL, batch],
          )
          .catch(() => {});
      }
      this.announcing = undefined;
    })();
  }

  /** The database's clock, which stamps `received_at`: a waiter's "after now" means the same everywhere. */
  async now(): Promise<number> {
    const [r] = await this.db.query<{ now: number }>(
      'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now',
    );
    return r!.now;
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    const [r] = await this.db.query<EventRow>('SELECT * FROM events WHERE id = $1', [id]);
    return r && toEvent(r);
  }

  async list(q: EventQuery): Promise<{ events: StoredEvent[]; hasMore: boolean }> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => `$${args.push(v)}`;
    if (q.type && q.type !== '*') {
      if (q.type.includes('*')) where.push(`type LIKE ${arg(typeLike(q.type))} ESCAPE '\\'`);
      else where.push(`type = ${arg(q.type)}`);
    }
    if (q.objectId) where.push(`object_id = ${arg(q.objectId)}`);
    if (q.since !== undefined) where.push(`created >= ${arg(q.since)}`);
    if (q.receivedAfter !== undefined) where.push(`received_at > ${arg(q.receivedAfter)}`);
    if (q.startingAfter) {
      const [cursor] = await this.db.query<EventRow>('SELECT created, id FROM events WHERE id = $1', [
        q.startingAfter,
      ]);
      if (!cursor) return { events: [], hasMore: false };
      where.push(`(created, id) < (${arg(cursor.created)}, ${arg(cursor.id)})`);
    }
    const rows = await this.db.query<EventRow>(
      `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created DESC, id DESC LIMIT ${arg(q.limit + 1)}`,
      args,
    );
    return { events: rows.slice(0, q.limit).map(toEvent), hasMore: rows.length > q.limit };
  }

  async objectState(objectId: string): Promise<ObjectState | undefined> {
    const [r] = await this.db.query<{
      object_id: string;
      object_type: string | null;
      created: number;
      event_id: string;
      state: string;
    }>('SELECT * FROM object_state WHERE object_id = $1', [objectId]);
    return (
      r && {
        objectId: r.object_id,
        objectType: r.object_type,
        created: r.created,
        eventId: r.event_id,
        state: JSON.parse(r.state) as Record<string, unknown>,
      }
    );
  }

  async count(): Promise<number> {
    const [r] = await this.db.query<{ n: number }>('SELECT COUNT(*)::bigint AS n FROM events');
    return r?.n ?? 0;
  }
}

export interface PostgresStoreOptions {
  /** Work in this schema (created if missing): tests use one each; default the connection's search_path. */
  schema?: string;
  /** Pool size per instance (default 10). */
  max?: number;
}

/** The shared store: migrated (once, under a lock) before it is returned. */
export async function createPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<Store> {
  const schema = opts.schema ? checkSchemaName(opts.schema) : undefined;
  if (schema) {
    const setup = openDb(url, { max: 1 });
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await setup.pool.end();
    }
  }
  const db = openDb(url, { ...(schema ? { schema } : {}), ...(opts.max ? { max: opts.max } : {}) });
  try {
    await migrate(db.pool);
  } catch (err) {
    await db.pool.end();
    throw err;
  }
  const events = new PgEventLog(db);
  return {
    ledger: new PgLedger(db),
    audit: new PgAudit(db),
    events,
    approvals: new PgApprovals(db),
    operators: new PgOperators(db),
    apiKeys: new PgApiKeys(db),
    oauth: new PgOAuthState(db),
    billing: new PgBilling(db),
    rateLimiter: (points, durationS) =>
      new RateLimiterPostgres({
        storeClient: db.pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        points,
        duration: durationS,
        // Postgres unreachable: each instance keeps counting on its own rather than failing requests.
        insuranceLimiter: new RateLimiterMemory({ points, duration: durationS }),
      }),
    close: async () => {
      await events.close();
      await db.pool.end();
    },
  };
}
