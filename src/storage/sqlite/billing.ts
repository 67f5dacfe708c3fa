import type Database from 'better-sqlite3';
import type { BillingStore, BillingSubscription, MeterRow, QuotaKey, UsageRecord } from '../ports.js';
import { toSubscription, type SubscriptionRow } from '../rows.js';

export const BILLING_MIGRATION = `CREATE TABLE billing_customers (
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
     current_period_end INTEGER,
     cancel_at_period_end INTEGER NOT NULL,
     trial_end INTEGER,
     as_of INTEGER NOT NULL,
     PRIMARY KEY (mode, id)
   );
   CREATE INDEX billing_subscriptions_user ON billing_subscriptions (mode, user_id);
   CREATE TABLE billing_quotas (
     mode TEXT NOT NULL,
     user_id TEXT NOT NULL,
     window TEXT NOT NULL,
     used INTEGER NOT NULL,
     PRIMARY KEY (mode, user_id, window)
   );
   CREATE TABLE billing_usage (
     id TEXT PRIMARY KEY,
     mode TEXT NOT NULL,
     user_id TEXT NOT NULL,
     tool TEXT NOT NULL,
     units INTEGER NOT NULL,
     at INTEGER NOT NULL,
     outcome TEXT NOT NULL
   );
   CREATE INDEX billing_usage_user ON billing_usage (mode, user_id, at);
   CREATE TABLE billing_outbox (
     id TEXT PRIMARY KEY,
     mode TEXT NOT NULL,
     customer TEXT NOT NULL,
     event TEXT NOT NULL,
     value INTEGER NOT NULL,
     at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     due INTEGER NOT NULL DEFAULT 0,
     sent INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX billing_outbox_due ON billing_outbox (sent, due);
   -- Unused: made by the first version of this migration; a migration that ran never changes.
   CREATE TABLE billing_once (
     id TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   );`;

/** Billing state in the SQLite file: every change one statement or one transaction (atomic across processes). */
export class SqliteBilling implements BillingStore {
  private readonly s;
  private readonly reserveTx;
  private readonly claimTx;
  private readonly forgetTx;

  constructor(
    db: Database.Database,
    private readonly wrote: () => void = () => {},
  ) {
    this.s = {
      customerOf: db.prepare<[string, string], { customer: string }>(
        'SELECT customer FROM billing_customers WHERE mode = ? AND user_id = ?',
      ),
      link: db.prepare(
        'INSERT INTO billing_customers (mode, user_id, customer) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      userOf: db.prepare<[string, string], { user_id: string }>(
        'SELECT user_id FROM billing_customers WHERE mode = ? AND customer = ?',
      ),
      putSub: db.prepare(
        `INSERT INTO billing_subscriptions (mode, id, user_id, customer, plan, status, current_period_end, cancel_at_period_end, trial_end, as_of)
         VALUES (@mode, @id, @user, @customer, @plan, @status, @currentPeriodEnd, @cancel, @trialEnd, @asOf)
         ON CONFLICT (mode, id) DO UPDATE SET user_id = excluded.user_id, customer = excluded.customer, plan = excluded.plan,
           status = excluded.status, current_period_end = excluded.current_period_end,
           cancel_at_period_end = excluded.cancel_at_period_end, trial_end = excluded.trial_end, as_of = excluded.as_of
         WHERE excluded.as_of >= billing_subscriptions.as_of`,
      ),
      sub: db.prepare<[string, string], SubscriptionRow>(
        'SELECT * FROM billing_subscriptions WHERE mode = ? AND id = ?',
      ),
      subsOf: db.prepare<[string, string], SubscriptionRow>(
        'SELECT * FROM billing_subscriptions WHERE mode = ? AND user_id = ?',
      ),
      dropSubs: db.prepare('DELETE FROM billing_subscriptions WHERE mode = ? AND customer = ?'),
      dropCustomer: db.prepare('DELETE FROM billing_customers WHERE mode = ? AND customer = ?'),
      used: db.prepare<[string, string, string], { used: number }>(
        'SELECT used FROM billing_quotas WHERE mode = ? AND user_id = ? AND window = ?',
      ),
      add: db.prepare(
        `INSERT INTO billing_quotas (mode, user_id, window, used) VALUES (@mode, @user, @window, @units)
         ON CONFLICT (mode, user_id, window) DO UPDATE SET used = used + @units`,
      ),
      release: db.prepare(
        'UPDATE billing_quotas SET used = MAX(0, used - ?) WHERE mode = ? AND user_id = ? AND window = ?',
      ),
      usage: db.prepare(
        'INSERT INTO billing_usage (id, mode, user_id, tool, units, at, outcome) VALUES (@id, @mode, @user, @tool, @units, @at, @outcome) ON CONFLICT DO NOTHING',
      ),
      usageOf: db.prepare<
        [string, string, number],
        {
          id: string;
          mode: string;
          user_id: string;
          tool: string;
          units: number;
          at: number;
          outcome: 'ok' | 'error';
        }
      >('SELECT * FROM billing_usage WHERE mode = ? AND user_id = ? ORDER BY at DESC, rowid DESC LIMIT ?'),
      enqueue: db.prepare(
        'INSERT INTO billing_outbox (id, mode, customer, event, value, at) VALUES (@id, @mode, @customer, @event, @value, @at) ON CONFLICT DO NOTHING',
      ),
      due: db.prepare<[string, number, number], MeterRow>(
        'SELECT id, mode, customer, event, value, at, attempts FROM billing_outbox WHERE sent = 0 AND mode = ? AND due <= ? ORDER BY due, rowid LIMIT ?',
      ),
      lease: db.prepare('UPDATE billing_outbox SET due = ?, attempts = attempts + 1 WHERE id = ?'),
      sent: db.prepare('UPDATE billing_outbox SET sent = 1 WHERE id = ?'),
      failed: db.prepare('UPDATE billing_outbox SET due = ? WHERE id = ?'),
      backlog: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM billing_outbox WHERE sent = 0'),
    };
    // Read and add in one IMMEDIATE transaction: two processes cannot both take the last unit.
    this.reserveTx = db.transaction((key: QuotaKey, units: number, limit: number | undefined) => {
      const used = this.s.used.get(key.mode, key.user, key.window)?.used ?? 0;
      if (limit !== undefined && used + units > limit) return { ok: false, used };
      this.s.add.run({ mode: key.mode, user: key.user, window: key.window, units });
      return { ok: true, used: used + units };
    });
    this.claimTx = db.transaction((mode: string, limit: number, now: number, leaseS: number) => {
      const rows = this.s.due.all(mode, now, limit);
      for (const r of rows) this.s.lease.run(now + leaseS, r.id);
      return rows.map((r) => ({ ...r, attempts: r.attempts + 1 }));
    });
    this.forgetTx = db.transaction((mode: string, customer: string) => {
      this.s.dropSubs.run(mode, customer);
      this.s.dropCustomer.run(mode, customer);
    });
  }

  customerOf(mode: string, user: string) {
    return Promise.resolve(this.s.customerOf.get(mode, user)?.customer);
  }
  linkCustomer(mode: string, user: string, customer: string) {
    this.s.link.run(mode, user, customer);
    this.wrote();
    return Promise.resolve(this.s.customerOf.get(mode, user)!.customer);
  }
  userOfCustomer(mode: string, customer: string) {
    return Promise.resolve(this.s.userOf.get(mode, customer)?.user_id);
  }
  putSubscription(sub: BillingSubscription) {
    const r = this.s.putSub.run({ ...sub, cancel: sub.cancelAtPeriodEnd ? 1 : 0 });
    this.wrote();
    return Promise.resolve(r.changes > 0);
  }
  subscription(mode: string, id: string) {
    const r = this.s.sub.get(mode, id);
    return Promise.resolve(r ? toSubscription(r) : undefined);
  }
  subscriptionsOf(mode: string, user: string) {
    return Promise.resolve(this.s.subsOf.all(mode, user).map(toSubscription));
  }
  forgetCustomer(mode: string, customer: string) {
    this.forgetTx(mode, customer);
    this.wrote();
    return Promise.resolve();
  }
  reserve(key: QuotaKey, units: number, limit: number | undefined) {
    const r = this.reserveTx.immediate(key, units, limit);
    this.wrote();
    return Promise.resolve(r);
  }
  release(key: QuotaKey, units: number) {
    this.s.release.run(units, key.mode, key.user, key.window);
    this.wrote();
    return Promise.resolve();
  }
  used(key: QuotaKey) {
    return Promise.resolve(this.s.used.get(key.mode, key.user, key.window)?.used ?? 0);
  }
  recordUsage(u: UsageRecord) {
    this.s.usage.run(u);
    this.wrote();
    return Promise.resolve();
  }
  usageOf(mode: string, user: string, limit: number) {
    return Promise.resolve(
      this.s.usageOf.all(mode, user, limit).map((r) => ({
        id: r.id,
        mode: r.mode,
        user: r.user_id,
        tool: r.tool,
        units: r.units,
        at: r.at,
        outcome: r.outcome,
      })),
    );
  }
  enqueueMeter(row: Omit<MeterRow, 'attempts'>) {
    this.s.enqueue.run(row);
    this.wrote();
    return Promise.resolve();
  }
  claimMeters(mode: string, limit: number, now: number, leaseS: number) {
    return Promise.resolve(this.claimTx.immediate(mode, limit, now, leaseS));
  }
  meterSent(id: string) {
    this.s.sent.run(id);
    this.wrote();
    return Promise.resolve();
  }
  meterFailed(id: string, retryAt: number) {
    this.s.failed.run(retryAt, id);
    return Promise.resolve();
  }
  meterBacklog() {
    return Promise.resolve(this.s.backlog.get()?.n ?? 0);
  }
}
