// `--seed=demo`: a business in the sandbox, read back as any Stripe SDK user would.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import type { StripeClient } from '../src/stripe/client.js';
import { CLI, sandboxStripe } from './helpers.js';

const DAY = 86_400;
let a: RunningSandbox;
let b: RunningSandbox;
let stripe: StripeClient;

beforeAll(async () => {
  [a, b] = await Promise.all([startSandbox({ seed: 'demo' }), startSandbox({ seed: 'demo' })]);
  stripe = await sandboxStripe(a);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

describe('the demo business', () => {
  it('about 200 customers over the last 120 days, backdated, with subscriptions in every state worth seeing', async () => {
    const customers = await stripe.customers.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    expect(customers).toHaveLength(200);
    const now = Math.floor(Date.now() / 1000);
    const created = customers.map((c) => c.created);
    expect(Math.min(...created)).toBeGreaterThanOrEqual(now - 121 * DAY);
    expect(Math.max(...created) - Math.min(...created)).toBeGreaterThan(100 * DAY);
    const subs = await stripe.subscriptions
      .list({ status: 'all', limit: 100 })
      .autoPagingToArray({ limit: 10_000 });
    const statuses = new Set(subs.map((s) => s.status));
    for (const s of ['active', 'trialing', 'canceled'] as const) expect(statuses).toContain(s);
    const intervals = new Set(subs.map((s) => s.items.data[0]!.price.recurring!.interval));
    expect(intervals).toEqual(new Set(['month', 'year']));
    // Renewals happened: invoices well beyond one per subscription.
    const invoices = await stripe.invoices.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    expect(invoices.length).toBeGreaterThan(subs.length * 1.5);
  });

  it('payments in several currencies (one zero-decimal), with declines, refunds, disputes and payouts, and a balance that adds up', async () => {
    const intents = await stripe.paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    expect(new Set(intents.map((p) => p.currency))).toEqual(new Set(['usd', 'eur', 'gbp', 'jpy']));
    expect(intents.some((p) => p.last_payment_error?.decline_code === 'insufficient_funds')).toBe(true);
    expect((await stripe.disputes.list({ limit: 100 })).data.length).toBeGreaterThan(0);
    const txns = await stripe.balanceTransactions.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    const types = new Set(txns.map((t) => t.type));
    for (const t of ['charge', 'refund', 'adjustment', 'payout']) expect(types).toContain(t);
    const balance = await stripe.balance.retrieve();
    const now = Math.floor(Date.now() / 1000);
    for (const entry of balance.available) {
      const sum = txns
        .filter((t) => t.currency === entry.currency && t.available_on <= now)
        .reduce((n, t) => n + t.net, 0);
      expect(entry.amount, entry.currency).toBe(sum);
    }
    expect((await stripe.events.list({ limit: 100 })).data.length).toBe(100);
  });

  it('the same seed makes the same business: ids, times and amounts', async () => {
    const other = await sandboxStripe(b);
    const shape = async (s: StripeClient) =>
      (await s.balanceTransactions.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 })).map(
        (t) => `${t.id} ${t.created} ${t.net} ${String(t.source as string)}`,
      );
    expect(await shape(other)).toEqual(await shape(stripe));
  });

  it('mcp-stripe sandbox --seed=demo says what it made', async () => {
    const child = spawn(process.execPath, [CLI, 'sandbox', '--port=0', '--seed=demo'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) resolve();
      });
      child.once('exit', () => resolve());
    });
    child.kill('SIGINT');
    expect(err).toMatch(/Seeded a demo business: 200 customers, \d+ subscriptions, .* over 120 days\./);
  });
});
