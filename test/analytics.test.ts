// The analytics tools through a real MCP client: numbers checked against what the sandbox holds,
// read back independently with the Stripe SDK; first on a small account whose answers are known,
// then on the demo business (hundreds of customers over 120 days).
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { startStack, type Stack } from './helpers.js';

const byCurrency = (rows: { currency: string }[]): Record<string, Record<string, any>> =>
  Object.fromEntries(rows.map((r) => [r.currency, r]));

describe('analytics on an account whose answers are known', () => {
  let st: Stack;
  let stripe: Stripe;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    st = await startStack();
    stripe = st.stripe;
    const product = await stripe.products.create({ name: 'Pro' });
    const price = (currency: string, unit_amount: number, interval: 'month' | 'year' = 'month') =>
      stripe.prices.create({ product: product.id, currency, unit_amount, recurring: { interval } });
    const [monthly, yearly, eur, jpy] = await Promise.all([
      price('usd', 1000),
      price('usd', 12_000, 'year'),
      price('eur', 900),
      price('jpy', 5000),
    ]);
    const coupon = await stripe.coupons.create({
      percent_off: 25,
      duration: 'repeating',
      duration_in_months: 3,
    });
    const subscribe = async (name: string, params: Omit<Stripe.SubscriptionCreateParams, 'customer'>) => {
      const c = await stripe.customers.create({
        name,
        email: `${name}@example.com`,
        payment_method: 'pm_card_visa',
      });
      const pm = (await stripe.paymentMethods.list({ customer: c.id })).data[0]!.id;
      await stripe.customers.update(c.id, { invoice_settings: { default_payment_method: pm } });
      ids[name] = c.id;
      return stripe.subscriptions.create({ customer: c.id, ...params });
    };
    await subscribe('three-seats', { items: [{ price: monthly.id, quantity: 3 }] }); // 30.00 a month
    await subscribe('yearly', { items: [{ price: yearly.id }] }); // 120.00 a year: 10.00 a month
    await subscribe('coupon', { items: [{ price: monthly.id }], discounts: [{ coupon: coupon.id }] }); // 7.50
    await subscribe('trial', { items: [{ price: monthly.id }], trial_period_days: 14 });
    await subscribe('euro', { items: [{ price: eur.id }] });
    await subscribe('yen', { items: [{ price: jpy.id }] });
    const gone = await subscribe('gone', { items: [{ price: monthly.id }] });
    await stripe.subscriptions.cancel(gone.id);

    // One-off payments: one partly refunded, one in yen, two declined, one disputed.
    const paid = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      customer: ids['three-seats'],
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await stripe.refunds.create({ payment_intent: paid.id, amount: 2000 });
    await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'jpy',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    for (const [card, amount] of [
      ['pm_card_chargeDeclinedInsufficientFunds', 1500],
      ['pm_card_chargeDeclinedInsufficientFunds', 2500],
      ['pm_card_chargeDeclinedLostCard', 700],
    ] as const) {
      const declined = await stripe.paymentIntents
        .create({ amount, currency: 'usd', payment_method: card, confirm: true })
        .catch((e: Stripe.errors.StripeCardError) => e.payment_intent!);
      ids[`declined-${amount}`] = declined.id;
    }
    await stripe.paymentIntents.create({
      amount: 4200,
      currency: 'usd',
      customer: ids.euro,
      payment_method: 'pm_card_createDispute',
      confirm: true,
    });
    await st.sandbox.state.webhooks.idle();
  });
  afterAll(() => st?.close());

  it('mrr: per month across intervals and quantities, after discounts, trialing apart, currencies apart, yen without decimals', async () => {
    const { data } = await st.call('mrr');
    const rows = byCurrency(data.currencies);
    expect(Object.keys(rows)).toEqual(['eur', 'jpy', 'usd']);
    expect(rows.usd).toMatchObject({
      mrr: 3000 + 1000 + 750,
      subscriptions: 3,
      trialing: 1,
      trialing_mrr: 1000,
    });
    expect(rows.usd!.summary).toBe(
      'MRR 47.50 USD from 3 paying subscriptions; 1 trialing would add 10.00 USD',
    );
    expect(rows.eur).toMatchObject({ mrr: 900, subscriptions: 1 });
    expect(rows.jpy).toMatchObject({ mrr: 5000, subscriptions: 1 });
    expect(rows.jpy!.summary).toMatch(/^MRR 5,000 JPY /);
    // By price: the monthly price's share carries the coupon; the breakdown adds up to the total.
    const usdPrices = rows.usd!.by_price as {
      interval: string;
      mrr: number;
      quantity: number;
      name: string;
    }[];
    expect(usdPrices.map((p) => [p.interval, p.mrr, p.quantity, p.name])).toEqual([
      ['month', 3750, 4, 'Pro'],
      ['year', 1000, 1, 'Pro'],
    ]);
    expect(data.coverage).toMatch(
      /^7 subscriptions of every status, created \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d, eur, jpy and usd kept apart$/,
    );
    expect(data).toMatchObject({ complete: true, cached: false });
  });

  it('revenue_summary: gross, refunds, disputes, fees and net per currency, matching the charges, refunds and disputes', async () => {
    const { data } = await st.call('revenue_summary', { period: 'last_7_days' });
    const rows = byCurrency(data.currencies);
    const charges = await stripe.charges.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    for (const currency of ['usd', 'eur', 'jpy']) {
      const captured = charges.filter((c) => c.currency === currency && c.status === 'succeeded');
      expect(rows[currency]!.gross).toBe(captured.reduce((s, c) => s + c.amount_captured, 0));
      expect(rows[currency]!.charges).toBe(captured.length);
    }
    expect(rows.usd).toMatchObject({ refunds: 2000, refund_count: 1, disputes: 4200, dispute_count: 1 });
    expect(rows.jpy).toMatchObject({ refunds: 0, disputes: 0 });
    // Fees as the balance transactions charged them; net is what is left of gross.
    const txns = await stripe.balanceTransactions.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    for (const [currency, row] of Object.entries(rows)) {
      const fees = txns.filter((t) => t.currency === currency).reduce((s, t) => s + t.fee, 0);
      expect(row.fees).toBe(fees);
      expect(row.fees).toBeGreaterThan(0);
      expect(row.net).toBe(row.gross - row.refunds - row.disputes - row.fees + row.other);
    }
    expect(rows.jpy!.summary).toMatch(/^gross 8,000 JPY, /); // 5,000 subscription + 3,000 one-off
    expect(data.coverage).toMatch(
      /^\d+ balance transactions, \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d, eur, jpy and usd kept apart$/,
    );
  });

  it('failed_payments: by decline code, most frequent first, with amounts, the next action and the failed payment ids', async () => {
    const { data } = await st.call('failed_payments', { period: 'last_7_days' });
    expect(data.failed).toBe(3);
    expect(data.attempted).toBe(
      (await stripe.charges.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 })).length,
    );
    expect(data.by_code.map((r: { code: string; count: number }) => [r.code, r.count])).toEqual([
      ['insufficient_funds', 2],
      ['lost_card', 1],
    ]);
    const [funds, lost] = data.by_code;
    expect(funds.amounts).toEqual([{ currency: 'usd', amount: 4000, display: '40.00 USD' }]);
    expect(funds.next_action).toMatch(/another payment method, or for a smaller amount/);
    expect(new Set(funds.examples)).toEqual(new Set([ids['declined-1500'], ids['declined-2500']]));
    expect(lost.next_action).toMatch(/do not retry/);
  });

  it('top_customers: net of refunds, per currency, with names and emails', async () => {
    const { data } = await st.call('top_customers', { period: 'last_7_days', limit: 25 });
    const usd = byCurrency(data.currencies).usd!;
    // yearly: 120.00; three-seats: 30.00 subscription + 50.00 less 20.00 refunded; gone: one month paid.
    expect(usd.customers.slice(0, 3)).toEqual([
      expect.objectContaining({ customer: ids.yearly, net: 12_000, display: '120.00 USD' }),
      expect.objectContaining({
        customer: ids['three-seats'],
        net: 6000,
        refunded: 2000,
        payments: 2,
        email: 'three-seats@example.com',
        name: 'three-seats',
        display: '60.00 USD',
      }),
      expect.objectContaining({ customer: ids.gone, net: 1000 }),
    ]);
    // The euro customer's one usd payment was disputed: withdrawn, not revenue.
    expect(usd.customers.find((c: { customer: string }) => c.customer === ids.euro)).toMatchObject({
      net: 0,
      disputed: 4200,
    });
    expect(
      (await st.call('top_customers', { period: 'last_7_days', limit: 1 })).data.currencies[2].customers,
    ).toHaveLength(1);
    expect(byCurrency(data.currencies).jpy).toMatchObject({ without_customer: 3000 });
  });

  it('a second call is answered from the cache and says so; refresh recomputes; bad periods say what to change', async () => {
    const first = await st.call('failed_payments', { period: 'last_30_days' });
    const again = await st.call('failed_payments', { period: 'last_30_days' });
    expect(again.data.cached).toBe(true);
    expect(again.data.by_code).toEqual(first.data.by_code);
    expect(again.text).toMatch(/pass refresh=true/);
    await stripe.paymentIntents
      .create({
        amount: 900,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
        confirm: true,
      })
      .catch(() => undefined);
    const fresh = await st.call('failed_payments', { period: 'last_30_days', refresh: true });
    expect(fresh.data).toMatchObject({ cached: false, failed: first.data.failed + 1 });

    const backwards = await st.call('revenue_summary', { from: '2026-10-31', to: '2026-10-01' });
    expect(backwards.isError).toBe(true);
    expect(backwards.text).toMatch(/to.*ends .*before it starts/);
    const notADate = await st.call('churn', { from: '2026-02-30' });
    expect(notADate.isError).toBe(true);
    expect(notADate.text).toMatch(/from.*2026-02-30 is not a date/);
  });
});

describe('analytics on the demo business', () => {
  let sandbox: RunningSandbox;
  let st: Stack;
  let stripe: Stripe;
  let charges: Stripe.Charge[];
  let subs: Stripe.Subscription[];

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: 'demo' });
    st = await startStack({ reuse: sandbox });
    stripe = st.stripe;
    charges = await stripe.charges.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
    subs = await stripe.subscriptions
      .list({ status: 'all', limit: 100, expand: ['data.discounts'] })
      .autoPagingToArray({ limit: 10_000 });
  });
  afterAll(async () => {
    await st?.close();
    await sandbox?.close();
  });

  it('revenue_summary over 120 days pages Stripe in a few requests with progress, and agrees with the charges', async () => {
    const progress: string[] = [];
    const result = await st.client.callTool(
      { name: 'revenue_summary', arguments: { period: 'last_90_days' } },
      { onprogress: (p) => progress.push(p.message ?? '') },
    );
    const data = result.structuredContent as Record<string, any>;
    expect(progress.length).toBe(data.requests);
    expect(progress.at(-1)).toMatch(/^\d+ balance transactions read$/);
    expect(data.complete).toBe(true);
    const from = Date.parse(data.period.from) / 1000;
    const rows = byCurrency(data.currencies as { currency: string; gross: number; charges: number }[]);
    expect(Object.keys(rows).sort()).toEqual(['eur', 'gbp', 'jpy', 'usd']);
    for (const [currency, row] of Object.entries(rows)) {
      const captured = charges.filter(
        (c) => c.currency === currency && c.status === 'succeeded' && c.created >= from,
      );
      expect(row.gross).toBe(captured.reduce((s, c) => s + c.amount_captured, 0));
      expect(row.charges).toBe(captured.length);
    }
    expect(data.coverage).toMatch(
      /^[\d,]+ balance transactions, \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d, eur, gbp, jpy and usd kept apart$/,
    );
    expect(JSON.stringify(result).length).toBeLessThan(4000);
  });

  it('mrr agrees with the subscriptions priced by hand, and counts only running discounts', async () => {
    const { data } = await st.call('mrr');
    const now = Date.now() / 1000;
    const expected: Record<string, number> = {};
    for (const s of subs.filter((x) => x.status === 'active' || x.status === 'past_due')) {
      const it = s.items.data[0]!;
      let month = (it.price.unit_amount! * it.quantity!) / (it.price.recurring!.interval === 'year' ? 12 : 1);
      const discount = s.discounts[0] as Stripe.Discount | undefined;
      if (discount && (discount.end === null || discount.end > now))
        month *= 1 - (await stripe.coupons.retrieve(discount.source.coupon as string)).percent_off! / 100;
      expected[s.currency] = (expected[s.currency] ?? 0) + month;
    }
    const got = Object.fromEntries(
      data.currencies.map((r: { currency: string; mrr: number }) => [r.currency, r.mrr]),
    );
    expect(got).toEqual(Object.fromEntries(Object.entries(expected).map(([c, v]) => [c, Math.round(v)])));
    expect(subs.some((s) => s.discounts.length > 0)).toBe(true);
  });

  it('churn: the churned customers paid at the start, had a subscription end in the period and pay for nothing now', async () => {
    const { data } = await st.call('churn', { period: 'last_30_days' });
    const from = Date.parse(data.period.from) / 1000;
    expect(data.customers_churned).toBeGreaterThan(0);
    expect(data.customers_churned).toBe(data.churned.length);
    expect(data.logo_churn_pct).toBe(
      Math.round((data.customers_churned / data.customers_at_start) * 1000) / 10,
    );
    for (const { customer, subscriptions } of data.churned as {
      customer: string;
      subscriptions: string[];
    }[]) {
      const theirs = subs.filter((s) => s.customer === customer);
      expect(theirs.some((s) => ['active', 'past_due', 'trialing'].includes(s.status))).toBe(false);
      for (const id of subscriptions) {
        const s = theirs.find((x) => x.id === id)!;
        expect(s.ended_at).toBeGreaterThanOrEqual(from);
        expect(s.start_date).toBeLessThan(from);
      }
    }
    const usd = byCurrency(
      data.revenue as { currency: string; churned_mrr: number; mrr_at_start: number }[],
    ).usd!;
    expect(usd.churned_mrr).toBeLessThanOrEqual(usd.mrr_at_start);
  });

  it('failed_payments and top_customers agree with the charges', async () => {
    const failed = (await st.call('failed_payments', { period: 'last_90_days' })).data;
    const from = Date.parse(failed.period.from) / 1000;
    const inPeriod = charges.filter((c) => c.created >= from);
    expect(failed.failed).toBe(inPeriod.filter((c) => c.status === 'failed').length);
    expect(failed.by_code.map((r: { code: string }) => r.code)).toContain('insufficient_funds');

    const top = (await st.call('top_customers', { period: 'last_90_days', limit: 3 })).data;
    // One request per 100 charges, names and emails included (customers expanded in the list).
    expect(top.requests).toBe(Math.ceil(inPeriod.length / 100));
    for (const row of top.currencies as {
      currency: string;
      customers: { customer: string; net: number }[];
    }[]) {
      const nets = new Map<string, number>();
      for (const c of inPeriod)
        if (c.currency === row.currency && c.status === 'succeeded' && typeof c.customer === 'string')
          nets.set(c.customer, (nets.get(c.customer) ?? 0) + c.amount_captured - c.amount_refunded);
      const best = [...nets.values()].sort((a, b) => b - a).slice(0, 3);
      expect(row.customers.map((c) => c.net)).toEqual(best);
      expect(row.customers[0]!.net).toBe(nets.get(row.customers[0]!.customer));
    }
  });
});
