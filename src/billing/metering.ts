// The metering outbox, drained in the background: each successful call's overage units reach Stripe's
// Billing Meters once. The row's id (the call's id) is the meter event's `identifier`, so a retry after
// a crash between Stripe's answer and marking the row sent is not billed twice: Stripe refuses the
// second one, and that refusal counts as sent. Rows survive a restart (they live in the store).
import type { Logger } from '../log.js';
import type { BillingStore, MeterRow } from '../storage/ports.js';
import type { LazyStripeClient } from '../stripe/client.js';

/**
 * One row at a time, leased for longer than one request may take (SEND_TIMEOUT_MS): a worker that dies
 * mid-send holds at most one row, for LEASE_S, and every other row is due on its own backoff.
 */
const SEND_TIMEOUT_MS = 5_000;
const LEASE_S = 15;
const MAX_BACKOFF_S = 3600;

export class MeterDrain {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly opts: {
      store: BillingStore;
      stripe: LazyStripeClient;
      mode: string;
      logger: Logger;
      /** How often the outbox is looked at besides being kicked (default 5 s). */
      intervalMs?: number;
      now?: () => number;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.intervalMs ?? 5000);
    this.timer.unref();
    this.kick();
  }

  /** Drain soon (a paid call just queued a row). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => this.opts.logger.error('metering: drain failed', { error }))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Sends what is due; the number of rows sent. */
  async drain(): Promise<number> {
    let sent = 0;
    const nowS = () => Math.floor((this.opts.now ?? Date.now)() / 1000);
    for (;;) {
      const rows = await this.opts.store.claimMeters(this.opts.mode, 1, nowS(), LEASE_S);
      if (rows.length === 0) return sent;
      const stripe = await this.opts.stripe();
      for (const row of rows) {
        const outcome = await send(stripe, row);
        if (outcome === 'sent') {
          await this.opts.store.meterSent(row.id);
          sent++;
        } else if (outcome === 'dead') {
          this.opts.logger.error('metering: Stripe refused a meter event for good; dropped', { id: row.id });
          await this.opts.store.meterSent(row.id);
        } else {
          const wait = Math.min(MAX_BACKOFF_S, 2 ** Math.min(row.attempts, 12));
          await this.opts.store.meterFailed(row.id, nowS() + wait);
          this.opts.logger.warn('metering: will retry', { id: row.id, attempts: row.attempts, in_s: wait });
        }
      }
      if (this.stopped) return sent;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

async function send(
  stripe: Awaited<ReturnType<LazyStripeClient>>,
  row: MeterRow,
): Promise<'sent' | 'retry' | 'dead'> {
  try {
    await stripe.billing.meterEvents.create(
      {
        event_name: row.event,
        payload: { stripe_customer_id: row.customer, value: String(row.value) },
        identifier: row.id,
        timestamp: row.at,
      },
      // No retries of its own: the outbox retries, with backoff, across restarts.
      { maxNetworkRetries: 0, timeout: SEND_TIMEOUT_MS },
    );
    return 'sent';
  } catch (err) {
    const e = err as { statusCode?: number; param?: string; type?: string };
    // Already received (a retry of one Stripe counted): sent.
    if (e.statusCode === 400 && e.param === 'identifier') return 'sent';
    // Older than Stripe takes (35 days): retrying cannot help. Anything else (an outage, a meter not
    // synced yet) is retried with backoff: usage is never dropped for a fixable reason.
    if (e.statusCode === 400 && e.param === 'timestamp') return 'dead';
    return 'retry';
  }
}
