import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../src/tools/registry.js';
import { startStack, type Stack } from './helpers.js';

/**
 * The happy path of every tool, through a real MCP client, the runner, the real stripe SDK and the
 * sandbox. The last test checks that each registered tool succeeded at least once here.
 */
let s: Stack;
const succeeded = new Set<string>();

async function ok(name: string, args: Record<string, unknown> = {}) {
  const r = await s.call(name, args);
  expect(r.isError, r.text).toBe(false);
  succeeded.add(name);
  return r.data;
}

beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s.close();
});

describe('account', () => {
  it('get_stripe_account_info reports the sandbox account', async () => {
    const a = await ok('get_stripe_account_info');
    expect(a.id).toMatch(/^acct_/);
    expect(a.mode).toBe('sandbox');
    expect(a.charges_enabled).toBe(true);
  });

  it('retrieve_balance: a payment is pending less its fee; its refund leaves the available balance at once', async () => {
    const before = await ok('retrieve_balance');
    const usd = (b: typeof before, state: 'available' | 'pending' = 'available') =>
      (b[state] as { amount: number; currency: string }[]).find((x) => x.currency === 'usd')?.amount ?? 0;
    const pi = await ok('create_payment_intent', {
      amount: 5000,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await ok('create_refund', { payment_intent: pi.id, amount: 1200 });
    const after = await ok('retrieve_balance');
    expect(usd(after, 'pending') - usd(before, 'pending')).toBe(5000 - 175); // 2.9% + 30
    expect(usd(after) - usd(before)).toBe(-1200);
  });
});

describe('customers', () => {
  it('create, retrieve, update (metadata merges), list by email', async () => {
    const c = await ok('create_customer', {
      email: 'jenny@example.com',
      name: 'Jenny Rosen',
      metadata: { plan: 'gold', ref: 'a1' },
    });
    expect(c.id).toMatch(/^cus_/);
    const got = await ok('retrieve_customer', { customer: c.id });
    expect(got).toMatchObject({ email: 'jenny@example.com', name: 'Jenny Rosen', deleted: false });
    const upd = await ok('update_customer', {
      customer: c.id,
      phone: '+14155550100',
      metadata: { ref: '', vip: 'yes' },
    });
    expect(upd.phone).toBe('+14155550100');
    expect(upd.metadata).toEqual({ plan: 'gold', vip: 'yes' });
    const list = await ok('list_customers', { email: 'jenny@example.com' });
    expect(list.data.map((x: { id: string }) => x.id)).toEqual([c.id]);
  });
});

describe('catalog', () => {
  it('products, prices (one-time and recurring), coupons and payment links', async () => {
    const p = await ok('create_product', {
      name: 'Pro plan',
      default_price_data: { unit_amount: 1500, recurring: { interval: 'month' } },
    });
    expect(p.default_price).toMatch(/^price_/);
    const products = await ok('list_products', { active: true, limit: 100 });
    expect(products.data.some((x: { id: string }) => x.id === p.id)).toBe(true);

    const oneTime = await ok('create_price', { product: p.id, unit_amount: 999, currency: 'eur' });
    expect(oneTime).toMatchObject({ type: 'one_time', currency: 'eur', unit_amount: 999, recurring: null });
    const yearly = await ok('create_price', {
      product_data: { name: 'Yearly' },
      unit_amount: 15000,
      recurring: { interval: 'year' },
    });
    expect(yearly.recurring).toEqual({ interval: 'year', interval_count: 1 });
    const prices = await ok('list_prices', { product: p.id });
    expect(prices.data.map((x: { id: string }) => x.id).sort()).toEqual([p.default_price, oneTime.id].sort());

    const percent = await ok('create_coupon', {
      percent_off: 25,
      duration: 'repeating',
      duration_in_months: 3,
      name: 'Launch',
    });
    expect(percent).toMatchObject({ percent_off: 25, amount_off: null, duration_in_months: 3 });
    const fixed = await ok('create_coupon', { amount_off: 500, currency: 'usd', id: 'FIVEOFF' });
    expect(fixed).toMatchObject({ id: 'FIVEOFF', amount_off: 500, currency: 'usd' });
    const coupons = await ok('list_coupons');
    expect(coupons.data.map((x: { id: string }) => x.id)).toEqual(
      expect.arrayContaining([percent.id, 'FIVEOFF']),
    );

    const link = await ok('create_payment_link', { line_items: [{ price: oneTime.id, quantity: 2 }] });
    expect(link.url).toMatch(/^https:\/\/buy\.stripe\.com\//);
  });
});

describe('payment intents', () => {
  it('charge now: create with confirm=true succeeds', async () => {
    const pi = await ok('create_payment_intent', {
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      description: 'T-shirt',
    });
    expect(pi).toMatchObject({ status: 'succeeded', amount_received: 2000, description: 'T-shirt' });
    expect(pi.latest_charge).toMatch(/^ch_/);
    const got = await ok('retrieve_payment_intent', { payment_intent: pi.id });
    expect(got.status).toBe('succeeded');
  });

  it('authorize, then capture part', async () => {
    const pi = await ok('create_payment_intent', {
      amount: 10000,
      payment_method: 'pm_card_mastercard',
      capture_method: 'manual',
    });
    expect(pi.status).toBe('requires_confirmation');
    const confirmed = await ok('confirm_payment_intent', { payment_intent: pi.id });
    expect(confirmed).toMatchObject({ status: 'requires_capture', amount_capturable: 10000 });
    const captured = await ok('capture_payment_intent', { payment_intent: pi.id, amount_to_capture: 7500 });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 7500 });
  });

  it('cancel an authorization; list by customer', async () => {
    const c = await ok('create_customer', { email: 'cancel@example.com' });
    const pi = await ok('create_payment_intent', {
      amount: 3000,
      customer: c.id,
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
    });
    const canceled = await ok('cancel_payment_intent', {
      payment_intent: pi.id,
      cancellation_reason: 'requested_by_customer',
    });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'requested_by_customer' });
    const list = await ok('list_payment_intents', { customer: c.id });
    expect(list.data.map((x: { id: string }) => x.id)).toEqual([pi.id]);
  });

  it('3-D Secure card needs action', async () => {
    const pi = await ok('create_payment_intent', {
      amount: 2000,
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
    });
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action).toBe('use_stripe_sdk');
  });
});

describe('payment methods and refunds', () => {
  it('attach as default, list, and refund fully and partly', async () => {
    const c = await ok('create_customer', { email: 'pm@example.com' });
    const pm = await ok('attach_payment_method', {
      payment_method: 'pm_card_visa',
      customer: c.id,
      set_as_default: true,
    });
    expect(pm).toMatchObject({ customer: c.id, is_default: true, card: { brand: 'visa', last4: '4242' } });
    expect((await ok('retrieve_customer', { customer: c.id })).default_payment_method).toBe(pm.id);
    const pms = await ok('list_payment_methods', { customer: c.id });
    expect(pms.data.map((x: { id: string }) => x.id)).toEqual([pm.id]);

    const pi = await ok('create_payment_intent', {
      amount: 4000,
      customer: c.id,
      payment_method: pm.id,
      confirm: true,
    });
    const partial = await ok('create_refund', {
      payment_intent: pi.id,
      amount: 1000,
      reason: 'requested_by_customer',
    });
    expect(partial).toMatchObject({ amount: 1000, status: 'succeeded', payment_intent: pi.id });
    const rest = await ok('create_refund', { payment_intent: pi.id });
    expect(rest.amount).toBe(3000);
    const refunds = await ok('list_refunds', { payment_intent: pi.id });
    expect(refunds.data.map((x: { amount: number }) => x.amount)).toEqual([3000, 1000]);
  });
});

describe('subscriptions', () => {
  async function payingCustomer(email: string) {
    const c = await ok('create_customer', { email });
    await ok('attach_payment_method', {
      payment_method: 'pm_card_visa',
      customer: c.id,
      set_as_default: true,
    });
    return c;
  }

  it('create (charged), retrieve with period end and invoice, update quantity, cancel at period end, list', async () => {
    const c = await payingCustomer('sub@example.com');
    const price = await ok('create_price', {
      product_data: { name: 'Team' },
      unit_amount: 1000,
      recurring: { interval: 'month' },
    });
    const sub = await ok('create_subscription', {
      customer: c.id,
      items: [{ price: price.id, quantity: 2 }],
    });
    expect(sub.status).toBe('active');
    expect(sub.latest_invoice).toMatchObject({ status: 'paid', amount_due: 2000 });
    expect(sub.current_period_end).toBeGreaterThan(sub.current_period_start);

    const got = await ok('retrieve_subscription', { subscription: sub.id });
    expect(got.items[0]).toMatchObject({
      price: price.id,
      quantity: 2,
      unit_amount: 1000,
      interval: 'month',
    });
    expect(got.latest_invoice.status).toBe('paid');

    const upd = await ok('update_subscription', {
      subscription: sub.id,
      items: [{ id: got.items[0].id, quantity: 5 }],
      metadata: { seats: '5' },
    });
    expect(upd.items[0].quantity).toBe(5);
    expect(upd.metadata).toEqual({ seats: '5' });

    const atEnd = await ok('cancel_subscription', { subscription: sub.id, comment: 'too pricey' });
    expect(atEnd).toMatchObject({
      status: 'active',
      cancel_at_period_end: true,
      cancel_at: got.current_period_end,
    });

    const list = await ok('list_subscriptions', { customer: c.id });
    expect(list.data.map((x: { id: string }) => x.id)).toEqual([sub.id]);
  });

  it('trial, then immediate cancel', async () => {
    const c = await ok('create_customer', { email: 'trial@example.com' });
    const price = await ok('create_price', {
      product_data: { name: 'Trial plan' },
      unit_amount: 2500,
      recurring: { interval: 'month' },
    });
    const sub = await ok('create_subscription', {
      customer: c.id,
      items: [{ price: price.id }],
      trial_period_days: 14,
    });
    expect(sub.status).toBe('trialing');
    expect(sub.trial_end).toBe(sub.current_period_end);
    expect(sub.latest_invoice).toMatchObject({ status: 'paid', amount_due: 0 });
    const now = await ok('cancel_subscription', { subscription: sub.id, immediately: true });
    expect(now.status).toBe('canceled');
    expect(now.ended_at).not.toBeNull();
    expect((await ok('list_subscriptions', { customer: c.id })).data).toEqual([]);
    expect((await ok('list_subscriptions', { customer: c.id, status: 'canceled' })).data).toHaveLength(1);
  });
});

describe('invoices and disputes', () => {
  it('draft invoice with items, finalized to open with a payment page', async () => {
    const c = await ok('create_customer', { email: 'inv@example.com' });
    const pending = await ok('create_invoice_item', {
      customer: c.id,
      amount: 1500,
      description: 'Setup fee',
    });
    expect(pending.invoice).toBeNull();
    const inv = await ok('create_invoice', {
      customer: c.id,
      collection_method: 'send_invoice',
      days_until_due: 30,
    });
    expect(inv).toMatchObject({ status: 'draft', amount_due: 1500, line_count: 1 });
    const price = await ok('create_price', { product_data: { name: 'Consulting hour' }, unit_amount: 12000 });
    await ok('create_invoice_item', { customer: c.id, invoice: inv.id, price: price.id, quantity: 2 });
    const fin = await ok('finalize_invoice', { invoice: inv.id });
    expect(fin).toMatchObject({ status: 'open', amount_due: 25500, line_count: 2 });
    expect(fin.number).toMatch(/-0001$/);
    expect(fin.hosted_invoice_url).toMatch(/^https:\/\//);
    const open = await ok('list_invoices', { customer: c.id, status: 'open' });
    expect(open.data.map((x: { id: string }) => x.id)).toEqual([inv.id]);
  });

  it('a disputed payment: list, add evidence, submit', async () => {
    const pi = await ok('create_payment_intent', {
      amount: 8000,
      payment_method: 'pm_card_createDispute',
      confirm: true,
    });
    const list = await ok('list_disputes', { payment_intent: pi.id });
    expect(list.data).toHaveLength(1);
    const d = list.data[0];
    expect(d).toMatchObject({
      status: 'needs_response',
      amount: 8000,
      reason: 'fraudulent',
      has_evidence: false,
    });
    const saved = await ok('update_dispute', {
      dispute: d.id,
      evidence: { customer_name: 'Jenny Rosen', uncategorized_text: 'Delivered' },
    });
    expect(saved).toMatchObject({ status: 'needs_response', has_evidence: true, submission_count: 0 });
    const submitted = await ok('update_dispute', { dispute: d.id, submit: true });
    expect(submitted).toMatchObject({ status: 'under_review', submission_count: 1 });
  });
});

describe('checkout and portal', () => {
  it('payment and subscription Checkout sessions carry client_reference_id; portal session', async () => {
    const c = await ok('create_customer', { email: 'co@example.com' });
    const oneTime = await ok('create_price', { product_data: { name: 'E-book' }, unit_amount: 1900 });
    const monthly = await ok('create_price', {
      product_data: { name: 'Club' },
      unit_amount: 900,
      recurring: { interval: 'month' },
    });
    const pay = await ok('create_checkout_session', {
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 3 }],
      client_reference_id: 'user-42',
      success_url: 'https://example.com/ok',
      customer: c.id,
    });
    expect(pay).toMatchObject({
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 5700,
      client_reference_id: 'user-42',
      customer: c.id,
    });
    // The sandbox's own hosted Checkout page, which a person or a test can pay.
    expect(pay.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/checkout\/pay\/cs_test_/);
    const sub = await ok('create_checkout_session', {
      mode: 'subscription',
      line_items: [{ price: monthly.id }],
      trial_period_days: 7,
      customer_email: 'new@example.com',
    });
    expect(sub.mode).toBe('subscription');
    const portal = await ok('create_customer_portal_session', {
      customer: c.id,
      return_url: 'https://example.com/account',
    });
    // The sandbox's own hosted Portal page.
    expect(portal.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/p\/session\/bps_/);
    expect(portal.customer).toBe(c.id);
  });

  it('Checkout takes inline price_data line items (no price created beforehand)', async () => {
    const pay = await ok('create_checkout_session', {
      mode: 'payment',
      line_items: [
        { price_data: { unit_amount: 1250, product_data: { name: 'Consulting hour' } }, quantity: 2 },
      ],
    });
    expect(pay).toMatchObject({ amount_total: 2500, currency: 'usd' });
    const both = await s.call('create_checkout_session', {
      mode: 'payment',
      line_items: [{ price: 'price_1', price_data: { unit_amount: 1, product: 'prod_1' } }],
    });
    expect(both.text).toContain('"line_items.0": pass exactly one of price (price_…) or price_data.');
  });
});

describe('defaults', () => {
  it('autoCapture=false: a new payment intent only authorizes unless the call sets capture_method', async () => {
    const manual = await startStack({ reuse: s.sandbox, runner: { defaults: { autoCapture: false } } });
    try {
      const args = { amount: 2100, payment_method: 'pm_card_visa', confirm: true };
      expect((await manual.call('create_payment_intent', args)).data.status).toBe('requires_capture');
      expect(
        (await manual.call('create_payment_intent', { ...args, capture_method: 'automatic' })).data.status,
      ).toBe('succeeded');
    } finally {
      await manual.close();
    }
  });
});

describe('coverage', () => {
  it('every Stripe API tool succeeded at least once in this file (event tools: test/events.test.ts; analytics: test/analytics.test.ts)', () => {
    const missing = ALL_TOOLS.filter((t) => !['events', 'api', 'analytics'].includes(t.toolset))
      .map((t) => t.name)
      .filter((n) => !succeeded.has(n));
    expect(missing).toEqual([]);
  });
});
