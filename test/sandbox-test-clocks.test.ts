// Test clocks in the sandbox, through the real SDK: a customer on a clock lives at its time, and
// advancing it renews, retries and ends subscriptions as Stripe does, with the webhooks Stripe sends.
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { sandboxStripe } from './helpers.js';

const DAY = 86_400;
let sandbox: RunningSandbox;
let stripe: Stripe;
let price: Stripe.Price;

beforeAll(async () => {
  sandbox = await startSandbox();
  stripe = await sandboxStripe(sandbox);
  const product = await stripe.products.create({ name: 'Clocked plan' });
  price = await stripe.prices.create({
    product: product.id,
    unit_amount: 1200,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
});
afterAll(() => sandbox?.close());

/** 2026-01-01T00:00:00Z: months of known length from here. */
const START = Date.UTC(2026, 0, 1) / 1000;

async function onClock(card: string, params: Partial<Stripe.SubscriptionCreateParams> = {}) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START, name: 'lifecycle' });
  const customer = await stripe.customers.create({ test_clock: clock.id, payment_method: card });
  await stripe.customers.update(customer.id, {
    invoice_settings: {
      default_payment_method: (await stripe.paymentMethods.list({ customer: customer.id })).data[0]!.id,
    },
  });
  const sub = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    ...params,
  });
  return { clock, customer, sub };
}

const typesFor = (object: string) =>
  sandbox.state.platform
    .all('event')
    .filter((e) => (e.data as { object: { id: string } }).object.id === object)
    .map((e) => e.type);

describe('sandbox test clocks', () => {
  it('a customer on a clock lives at its time, and advancing renews the subscription each month', async () => {
    const { clock, customer, sub } = await onClock('pm_card_visa');
    expect(customer.created).toBe(START);
    expect(customer.test_clock).toBe(clock.id);
    expect(sub.start_date).toBe(START);
    expect(sub.items.data[0]!.current_period_end).toBe(Date.UTC(2026, 1, 1) / 1000);

    const advanced = await stripe.testHelpers.testClocks.advance(clock.id, {
      frozen_time: Date.UTC(2026, 2, 15) / 1000,
    });
    expect(advanced.status).toBe('ready');
    expect((await stripe.testHelpers.testClocks.retrieve(clock.id)).frozen_time).toBe(
      Date.UTC(2026, 2, 15) / 1000,
    );
    const now = await stripe.subscriptions.retrieve(sub.id);
    expect(now.status).toBe('active');
    expect(now.items.data[0]!.current_period_start).toBe(Date.UTC(2026, 2, 1) / 1000);
    const invoices = await stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data.map((i) => [i.billing_reason, i.status, i.amount_paid, i.created])).toEqual([
      ['subscription_cycle', 'paid', 1200, Date.UTC(2026, 2, 1) / 1000],
      ['subscription_cycle', 'paid', 1200, Date.UTC(2026, 1, 1) / 1000],
      ['subscription_create', 'paid', 1200, START],
    ]);
    await expect(
      stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START }),
    ).rejects.toMatchObject({ param: 'frozen_time' });
  });

  it('a repeating coupon discounts the first three invoices, then renewals are full price; the discount expands', async () => {
    const coupon = await stripe.coupons.create({
      percent_off: 25,
      duration: 'repeating',
      duration_in_months: 3,
    });
    const { clock, sub } = await onClock('pm_card_visa', { discounts: [{ coupon: coupon.id }] });
    const withDiscount = await stripe.subscriptions.retrieve(sub.id, { expand: ['discounts'] });
    expect(withDiscount.discounts).toEqual([
      expect.objectContaining({
        object: 'discount',
        subscription: sub.id,
        start: START,
        end: Date.UTC(2026, 3, 1) / 1000,
        source: { coupon: coupon.id, type: 'coupon' },
      }),
    ]);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: Date.UTC(2026, 4, 15) / 1000 });
    const invoices = await stripe.invoices.list({ subscription: sub.id });
    expect(
      invoices.data.map((i) => [new Date(i.created * 1000).getUTCMonth() + 1, i.amount_paid]).reverse(),
    ).toEqual([
      [1, 900],
      [2, 900],
      [3, 900],
      [4, 1200],
      [5, 1200],
    ]);
    // Ended: taken off the subscription; one redemption for all of its invoices.
    expect((await stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([]);
    expect((await stripe.coupons.retrieve(coupon.id)).times_redeemed).toBe(1);
  });

  it('a trial ends with a card that declines: past_due, three retries, then canceled for payment_failed', async () => {
    const { clock, sub } = await onClock('pm_card_chargeCustomerFail', { trial_period_days: 14 });
    expect(sub.status).toBe('trialing');
    const trialEnd = START + 14 * DAY;

    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: trialEnd + 3600 });
    const pastDue = await stripe.subscriptions.retrieve(sub.id);
    expect(pastDue.status).toBe('past_due');
    const invoice = await stripe.invoices.retrieve(pastDue.latest_invoice as string);
    expect(invoice).toMatchObject({
      status: 'open',
      attempt_count: 1,
      next_payment_attempt: trialEnd + 3 * DAY,
    });
    expect(typesFor(sub.id)).toEqual([
      'customer.subscription.created',
      'customer.subscription.trial_will_end',
      'customer.subscription.updated',
    ]);
    expect(typesFor(invoice.id)).toEqual(['invoice.created', 'invoice.finalized', 'invoice.payment_failed']);

    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: trialEnd + 20 * DAY });
    const ended = await stripe.subscriptions.retrieve(sub.id);
    expect(ended.status).toBe('canceled');
    expect(ended.cancellation_details?.reason).toBe('payment_failed');
    expect(ended.ended_at).toBe(trialEnd + 15 * DAY);
    expect((await stripe.invoices.retrieve(invoice.id)).attempt_count).toBe(4);
  });

  it('a past-due subscription paid with a new card is active again; cancel at period end ends it then', async () => {
    const { clock, customer, sub } = await onClock('pm_card_chargeCustomerFail', { trial_period_days: 7 });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 8 * DAY });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.subscriptions.update(sub.id, { default_payment_method: card.id });
    // The next scheduled retry charges the new card.
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 11 * DAY });
    const active = await stripe.subscriptions.retrieve(sub.id);
    expect(active.status).toBe('active');
    const end = active.items.data[0]!.current_period_end;
    expect(end).toBe(Date.UTC(2026, 1, 8) / 1000);

    const canceling = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(canceling.cancel_at).toBe(end);
    expect(canceling.canceled_at).toBe(START + 11 * DAY);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end - 60 });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 60 });
    const ended = await stripe.subscriptions.retrieve(sub.id);
    expect(ended).toMatchObject({ status: 'canceled', ended_at: end });
    expect(ended.cancellation_details?.reason).toBe('cancellation_requested');
  });

  it('a renewal bills the metered item for what its meter counted over the period that ended', async () => {
    const now = Math.floor(Date.now() / 1000);
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: now });
    const customer = await stripe.customers.create({ test_clock: clock.id, payment_method: 'pm_card_visa' });
    const card = (await stripe.paymentMethods.list({ customer: customer.id })).data[0]!.id;
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card } });
    const meter = await stripe.billing.meters.create({
      display_name: 'Calls',
      event_name: 'clocked_calls',
      default_aggregation: { formula: 'sum' },
    });
    const metered = await stripe.prices.create({
      product: (await stripe.products.create({ name: 'Metered' })).id,
      currency: 'usd',
      unit_amount_decimal: stripe.Decimal.from('50'),
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: metered.id }] });
    for (const value of ['3', '4'])
      await stripe.billing.meterEvents.create({
        event_name: 'clocked_calls',
        payload: { stripe_customer_id: customer.id, value },
        timestamp: now + 1,
      });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: now + 32 * DAY });
    const cycle = (await stripe.invoices.list({ subscription: sub.id })).data.find(
      (i) => i.billing_reason === 'subscription_cycle',
    )!;
    expect(cycle).toMatchObject({ status: 'paid', amount_paid: 350 });
    expect(cycle.lines.data[0]).toMatchObject({ quantity: 7, amount: 350 });
  });

  it('an incomplete subscription expires after 23 hours; deleting the clock deletes its customers', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
    });
    expect(sub.status).toBe('incomplete');
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + DAY });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('incomplete_expired');
    expect(await stripe.testHelpers.testClocks.del(clock.id)).toMatchObject({ deleted: true });
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ deleted: true });
    await expect(stripe.testHelpers.testClocks.retrieve(clock.id)).rejects.toMatchObject({
      code: 'resource_missing',
    });
    await expect(stripe.customers.create({ test_clock: 'clock_missing' })).rejects.toMatchObject({
      param: 'test_clock',
    });
  });
});
