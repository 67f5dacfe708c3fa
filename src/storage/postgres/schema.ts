// The Postgres schema, versioned: each entry runs once, in order, in one transaction, under an advisory
// lock, so N instances starting at once migrate once. `mcp_stripe_migrations` records what has run; a
// database newer than this code is refused (its tables may mean something this code does not know).
import type { Pool, PoolClient } from 'pg';

/** Held for the length of a migration transaction; any fixed number, shared by every instance. */
const MIGRATION_LOCK = 0x6d637073; // "mcps"

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE money_ledger (
     id TEXT PRIMARY KEY,
     scope TEXT NOT NULL,
     currency TEXT NOT NULL,
     amount BIGINT NOT NULL,
     tool TEXT NOT NULL,
     object_id TEXT,
     idem_key TEXT,
     state TEXT NOT NULL DEFAULT 'settled',
     at BIGINT NOT NULL
   );
   CREATE INDEX money_ledger_scope ON money_ledger (scope, currency, at);
   CREATE INDEX money_ledger_object ON money_ledger (scope, object_id, at);
   CREATE INDEX money_ledger_key ON money_ledger (scope, idem_key, at);
   CREATE TABLE audit_log (
     seq BIGSERIAL PRIMARY KEY,
     at TEXT NOT NULL,
     record JSONB NOT NULL
   );
   CREATE INDEX audit_log_at ON audit_log (at);
   CREATE TABLE events (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     api_version TEXT,
     livemode BOOLEAN NOT NULL,
     account TEXT,
     object_type TEXT,
     object_id TEXT,
     created BIGINT NOT NULL,
     received_at BIGINT NOT NULL,
     payload TEXT NOT NULL
   );
   CREATE INDEX events_order ON events (created DESC, id DESC);
   CREATE INDEX events_object ON events (object_id, created DESC, id DESC);
   CREATE INDEX events_type ON events (type, created DESC);
   CREATE INDEX events_received ON events (received_at);
   CREATE TABLE object_state (
     object_id TEXT PRIMARY KEY,
     object_type TEXT,
     created BIGINT NOT NULL,
     rank INTEGER NOT NULL,
     event_id TEXT NOT NULL,
     state TEXT NOT NULL
   );
   CREATE TABLE approvals (
     id TEXT PRIMARY KEY,
     binding TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX approvals_binding ON approvals (binding, expires_at);
   CREATE INDEX approvals_created ON approvals (created_at DESC);
   CREATE TABLE operator_sign_ins (hash TEXT PRIMARY KEY, operator TEXT NOT NULL, expires_at BIGINT NOT NULL);
   CREATE TABLE operator_sessions (
     hash TEXT PRIMARY KEY,
     operator TEXT NOT NULL,
     csrf TEXT NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE api_keys (
     seq BIGSERIAL,
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     prefix TEXT NOT NULL,
     scopes TEXT NOT NULL,
     tenant TEXT,
     created_at BIGINT NOT NULL,
     expires_at BIGINT,
     revoked_at BIGINT
   );
   CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
   CREATE TABLE oauth_state (
     seq BIGSERIAL,
     model TEXT NOT NULL,
     id TEXT NOT NULL,
     payload TEXT NOT NULL,
     expires_at BIGINT,
     grant_id TEXT,
     user_code TEXT,
     uid TEXT,
     consumed_at BIGINT,
     PRIMARY KEY (model, id)
   );
   CREATE INDEX oauth_state_grant ON oauth_state (grant_id);
   CREATE INDEX oauth_state_uid ON oauth_state (model, uid);
   CREATE INDEX oauth_state_user_code ON oauth_state (model, user_code);
   CREATE TABLE billing_customers (
     mode TEXT NOT NULL,
     user_id TEXT NOT NULL,
     customer TEXT NOT NULL,
     PRIMARY KEY (mode, user_id)
   );
   CREATE UNIQUE INDEX billing_customers_customer ON billing_customers (mode, customer);
   CREATE TABLE billing_subscriptions (
     mode TEXT NOT NULL,
     id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     customer TEXT NOT NULL,
     plan TEXT,
     status TEXT NOT NULL,
     current_period_end BIGINT,
     cancel_at_period_end BOOLEAN NOT NULL,
     trial_end BIGINT,
     as_of BIGINT NOT NULL,
     PRIMARY KEY (mode, id)
   );
   CREATE INDEX billing_subscriptions_user ON billing_subscriptions (mode, user_id);
   CREATE TABLE billing_quotas (
     mode TEXT NOT NULL,
     user_id TEXT NOT NULL,
     time_window TEXT NOT NULL,
     used BIGINT NOT NULL,
     PRIMARY KEY (mode, user_id, time_window)
   );
   CREATE TABLE billing_usage (
     seq BIGSERIAL,
     id TEXT PRIMARY KEY,
     mode TEXT NOT NULL,
     user_id TEXT NOT NULL,
     tool TEXT NOT NULL,
     units BIGINT NOT NULL,
     at BIGINT NOT NULL,
     outcome TEXT NOT NULL
   );
   CREATE INDEX billing_usage_user ON billing_usage (mode, user_id, at);
   CREATE TABLE billing_outbox (
     seq BIGSERIAL,
     id TEXT PRIMARY KEY,
     mode TEXT NOT NULL,
     customer TEXT NOT NULL,
     event TEXT NOT NULL,
     value BIGINT NOT NULL,
     at BIGINT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     due BIGINT NOT NULL DEFAULT 0,
     sent BOOLEAN NOT NULL DEFAULT false
   );
   CREATE INDEX billing_outbox_due ON billing_outbox (sent, mode, due);`,
  // Per-caller rate-limit counters (`--rate-limit`), as rate-limiter-flexible's Postgres limiter keeps them.
  `CREATE TABLE rate_limits (
     key VARCHAR(255) PRIMARY KEY,
     points INTEGER NOT NULL DEFAULT 0,
     expire BIGINT
   );`,
];

export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `The database's schema is at version ${found}, newer than this mcp-stripe knows (${known}): another instance runs a newer release. Upgrade this one; it changes nothing until then.`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/** Runs the migrations not yet applied; returns how many ran. */
export async function migrate(pool: Pool, migrations: readonly string[] = MIGRATIONS): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS mcp_stripe_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const done = await version(client);
    if (done > migrations.length) throw new SchemaTooNewError(done, migrations.length);
    for (let i = done; i < migrations.length; i++) {
      await client.query(migrations[i]!);
      await client.query('INSERT INTO mcp_stripe_migrations (version) VALUES ($1)', [i + 1]);
    }
    await client.query('COMMIT');
    return migrations.length - done;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function version(client: PoolClient): Promise<number> {
  const r = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM mcp_stripe_migrations');
  return Number(r.rows[0]?.v ?? 0);
}
