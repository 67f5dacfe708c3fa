// Billing on Postgres: who has paid, quotas (taken in one conditional statement: two instances cannot
// both take the last unit), usage, and the metering outbox (drained by exactly one worker per row:
// `FOR UPDATE SKIP LOCKED`).
import type { BillingStore, BillingSubscription, MeterRow, QuotaKey, UsageRecord } from '../ports.js';
import { toSubscription, type SubscriptionRow } from '../rows.js';
import type { Db } from './db.js';

export class PgBilling implements BillingStore {
  constructor(private readonly db: Db) {}

  async customerOf(mode: string, user: string) {
    const [r] = await this.db.query<{ customer: string }>(
      'SELECT customer FROM billing_customers WHERE mode = $1 AND user_id = $2',
      [mode, user],
    );
    return r?.customer;
  }

  async linkCustomer(mode: string, user: string, customer: string) {
    await this.db.query(
      'INSERT INTO billing_customers (mode, user_id, customer) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [mode, user, customer],
    );
    return (await this.customerOf(mode, user))!;
  }

  async userOfCustomer(mode: string, customer: string) {
    const [r] = await this.db.query<{ user_id: string }>(
      'SELECT user_id FROM billing_customers WHERE mode = $1 AND customer = $2',
      [mode, customer],
    );
    return r?.user_id;
  }

  async putSubscription(sub: BillingSubscription) {
    const rows = await this.db.query(
      `INSERT INTO billing_subscriptions (mode, id, user_id, customer, plan, status, current_period_end, cancel_at_period_end, trial_end, as_of)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (mode, id) DO UPDATE SET user_id = EXCLUDED.user_id, customer = EXCLUDED.customer, plan = EXCLUDED.plan,
         status = EXCLUDED.status, current_period_end = EXCLUDED.current_period_end,
         cancel_at_period_end = EXCLUDED.cancel_at_period_end, trial_end = EXCLUDED.trial_end, as_of = EXCLUDED.as_of
       WHERE EXCLUDED.as_of >= billing_subscriptions.as_of
       RETURNING id`,
      [
        sub.mode,
        sub.id,
        sub.user,
        sub.customer,
        sub.plan,
        sub.status,
        sub.currentPeriodEnd,
        sub.cancelAtPeriodEnd,
        sub.trialEnd,
        sub.asOf,
      ],
    );
    return rows.length > 0;
  }

  async subscription(mode: string, id: string) {
    const [r] = await this.db.query<SubscriptionRow>(
      'SELECT * FROM billing_subscriptions WHERE mode = $1 AND id = $2',
      [mode, id],
    );
    return r ? toSubscription(r) : undefined;
  }

  async subscriptionsOf(mode: string, user: string) {
    const rows = await this.db.query<SubscriptionRow>(
      'SELECT * FROM billing_subscriptions WHERE mode = $1 AND user_id = $2',
      [mode, user],
    );
    return rows.map(toSubscription);
  }

  forgetCustomer(mode: string, customer: string) {
    return this.db.tx(async (q) => {
      await q('DELETE FROM billing_subscriptions WHERE mode = $1 AND customer = $2', [mode, customer]);
      await q('DELETE FROM billing_customers WHERE mode = $1 AND customer = $2', [mode, customer]);
    });
  }

  async reserve(key: QuotaKey, units: number, limit: number | undefined) {
    if (limit !== undefined && units > limit) return { ok: false, used: await this.used(key) };
    // One statement: the row's lock makes concurrent reservations (from any instance) take turns, and
    // the condition is checked against the value each one finds.
    const [r] = await this.db.query<{ used: number }>(
      `INSERT INTO billing_quotas (mode, user_id, time_window, used) VALUES ($1, $2, $3, $4)
       ON CONFLICT (mode, user_id, time_window) DO UPDATE SET used = billing_quotas.used + EXCLUDED.used
       WHERE $5::bigint IS NULL OR billing_quotas.used + EXCLUDED.used <= $5::bigint
       RETURNING used`,
      [key.mode, key.user, key.window, units, limit ?? null],
    );
    return r ? { ok: true, used: r.used } : { ok: false, used: await this.used(key) };
  }

  async release(key: QuotaKey, units: number) {
    await this.db.query(
      'UPDATE billing_quotas SET used = GREATEST(0, used - $1) WHERE mode = $2 AND user_id = $3 AND time_window = $4',
      [units, key.mode, key.user, key.window],
    );
  }

  async used(key: QuotaKey) {
    const [r] = await this.db.query<{ used: number }>(
      'SELECT used FROM billing_quotas WHERE mode = $1 AND user_id = $2 AND time_window = $3',
      [key.mode, key.user, key.window],
    );
    return r?.used ?? 0;
  }

  async recordUsage(u: UsageRecord) {
    await this.db.query(
      'INSERT INTO billing_usage (id, mode, user_id, tool, units, at, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING',
      [u.id, u.mode, u.user, u.tool, u.units, u.at, u.outcome],
    );
  }

  async usageOf(mode: string, user: string, limit: number) {
    const rows = await this.db.query<{
      id: string;
      mode: string;
      user_id: string;
      tool: string;
      units: number;
      at: number;
      outcome: 'ok' | 'error';
    }>('SELECT * FROM billing_usage WHERE mode = $1 AND user_id = $2 ORDER BY at DESC, seq DESC LIMIT $3', [
      mode,
      user,
      limit,
    ]);
    return rows.map((r) => ({
      id: r.id,
      mode: r.mode,
      user: r.user_id,
      tool: r.tool,
      units: r.units,
      at: r.at,
      outcome: r.outcome,
    }));
  }

  async enqueueMeter(row: Omit<MeterRow, 'attempts'>) {
    await this.db.query(
      'INSERT INTO billing_outbox (id, mode, customer, event, value, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
      [row.id, row.mode, row.customer, row.event, row.value, row.at],
    );
  }

  async claimMeters(mode: string, limit: number, now: number, leaseS: number) {
    // Rows another worker holds right now are skipped, not waited for; a leased row is not due again
    // until its lease ends.
    return this.db.query<MeterRow & { [k: string]: unknown }>(
      `UPDATE billing_outbox SET due = $3, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM billing_outbox WHERE sent = false AND mode = $1 AND due <= $2
         ORDER BY due, seq LIMIT $4 FOR UPDATE SKIP LOCKED
       )
       RETURNING id, mode, customer, event, value, at, attempts`,
      [mode, now, now + leaseS, limit],
    );
  }

  async meterSent(id: string) {
    await this.db.query('UPDATE billing_outbox SET sent = true WHERE id = $1', [id]);
  }

  async meterFailed(id: string, retryAt: number) {
    await this.db.query('UPDATE billing_outbox SET due = $1 WHERE id = $2', [retryAt, id]);
  }

  async meterBacklog() {
    const [r] = await this.db.query<{ n: number }>(
      'SELECT COUNT(*)::bigint AS n FROM billing_outbox WHERE sent = false',
    );
    return r?.n ?? 0;
  }
}
