import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { createStripeClient, PINNED_API_VERSION, type StripeClient } from '../src/stripe/client.js';
import { sandboxStripe } from './helpers.js';

/** The sandbox as any Stripe SDK user sees it: the real `stripe` package over real HTTP. */
let sb: RunningSandbox;
let stripe: StripeClient;
const KEY = 'sk_test_sandboxfidelity1';

beforeAll(async () => {
  sb = await startSandbox();
  stripe = await sandboxStripe(sb, KEY);
});
afterAll(async () => {
  await sb.close();
});

const raw = (path: string, init: RequestInit & { key?: string | null } = {}) =>
  fetch(`${sb.url}${path}`, {
    ...init,
    headers: {
      ...(init.key === null ? {} : { authorization: `Bearer ${init.key ?? KEY}` }),
      'content-type': 'application/x-www-form-urlencoded',
      ...init.headers,
    },
  });

describe('HTTP surface', () => {
  it("401 without a key, in Stripe's error envelope, with a Request-Id", async () => {
    const res = await raw('/v1/customers', { key: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/You did not provide an API key/);
  });

  it('each event names the request that caused it, also when requests overlap', async () => {
    // The first request waits (an injected delay) while the second one runs to completion.
    await fetch(`${sb.url}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'delay', ms: 300, method: 'POST', path: '/v1/customers' }),
    });
    const create = (key: string) =>
      raw('/v1/customers', { method: 'POST', body: `name=${key}`, headers: { 'idempotency-key': key } });
    const [slow, fast] = await Promise.all([create('overlap-slow'), create('overlap-fast')]);
    for (const [res, key] of [
      [slow, 'overlap-slow'],
      [fast, 'overlap-fast'],
    ] as const) {
      const customer = (await res.json()) as { id: string };
      const events = await stripe.events.list({ type: 'customer.created', limit: 100 });
      const event = events.data.find((e) => (e.data.object as { id: string }).id === customer.id);
      expect(event?.request).toEqual({ id: res.headers.get('request-id'), idempotency_key: key });
    }
  });

  it('401 for a live or malformed key, masking it', async () => {
    const res = await raw('/v1/customers', { key: `sk_live_${'abcdefgh'}ijklmnop` });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).toContain('sk_live_');
    expect(text).not.toContain('abcdefghijklmnop');
  });

  it('a short bad key is masked whole but for its last four; HTTP Basic auth (curl -u key:) works', async () => {
    const bad = await raw('/v1/customers', { key: 'garbage' });
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
      'Invalid API Key provided: ***bage',
    );
    const basic = await raw('/v1/customers?limit=1', {
      key: null,
      headers: { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` },
    });
    expect(basic.status).toBe(200);
    expect(((await basic.json()) as { object: string }).object).toBe('list');
  });

  it('an unknown parameter is a 400 naming it and the parameter meant, and nothing is created', async () => {
    const before = (await stripe.customers.list({ limit: 100 })).data.length;
    const err = await stripe.customers
      .create({ emial: 'a@b.co' } as Stripe.CustomerCreateParams)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    const e = err as Stripe.errors.StripeInvalidRequestError;
    expect(e.message).toBe('Received unknown parameter: emial. Did you mean email?');
    expect([e.code, e.param, e.statusCode]).toEqual(['parameter_unknown', 'emial', 400]);
    expect((await stripe.customers.list({ limit: 100 })).data.length).toBe(before);
    // A name far from every parameter gets no suggestion; list parameters are checked too.
    await expect(stripe.customers.list({ colour: 'red' } as Stripe.CustomerListParams)).rejects.toThrow(
      /^Received unknown parameter: colour$/,
    );
  });

  it('an endpoint the sandbox lacks answers a Stripe-shaped 404 that says so', async () => {
    const res = await raw('/v1/quotes');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /sandbox does not implement/,
    );
  });

  it('bracket notation: nested hashes, arrays, metadata set and delete', async () => {
    const c = await raw('/v1/customers', {
      method: 'POST',
      body: 'email=a%40b.co&metadata[a]=1&metadata[b]=2&address[city]=Paris',
    });
    const customer = (await c.json()) as {
      id: string;
      metadata: Record<string, string>;
      address: { city: string };
    };
    expect(customer.metadata).toEqual({ a: '1', b: '2' });
    expect(customer.address.city).toBe('Paris');
    const u = await raw(`/v1/customers/${customer.id}`, { method: 'POST', body: 'metadata[a]=' });
    expect(((await u.json()) as { metadata: object }).metadata).toEqual({ b: '2' });
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 500,
      product_data: { name: 'P' },
    });
    const link = await raw('/v1/payment_links', {
      method: 'POST',
      body: `line_items[0][price]=${price.id}&line_items[0][quantity]=2`,
    });
    expect(link.status).toBe(200);
  });

  it('type errors name the param', async () => {
    const res = await raw('/v1/payment_intents', { method: 'POST', body: 'amount=ten&currency=usd' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('amount');
  });
});

describe('idempotency as Stripe does it', () => {
  it('same key and params → stored response with Idempotent-Replayed; different params → 400 idempotency_error', async () => {
    const first = await stripe.customers.create({ email: 'i@example.com' }, { idempotencyKey: 'idem-1' });
    const again = await stripe.customers.create({ email: 'i@example.com' }, { idempotencyKey: 'idem-1' });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    const err = await stripe.customers
      .create({ email: 'other@example.com' }, { idempotencyKey: 'idem-1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('validation failures are not stored: fixing the params under the same key works', async () => {
    await expect(
      stripe.paymentIntents.create({ amount: 10, currency: 'usd' }, { idempotencyKey: 'idem-2' }),
    ).rejects.toThrow(/at least/);
    const ok = await stripe.paymentIntents.create(
      { amount: 1000, currency: 'usd' },
      { idempotencyKey: 'idem-2' },
    );
    expect(ok.status).toBe('requires_payment_method');
    expect(ok.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('state machines', () => {
  /** A card payment authorized, not captured (requires_capture). */
  const authorize = (amount: number) =>
    stripe.paymentIntents.create({
      amount,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      capture_method: 'manual',
      confirm: true,
    });

  it('payment intent: requires_payment_method → confirm with a decline → retry with another card → succeeded', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd' });
    expect(pi.status).toBe('requires_payment_method');
    const err = (await stripe.paymentIntents
      .confirm(pi.id, { payment_method: 'pm_card_chargeDeclined' })
      .catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect(err.code).toBe('card_declined');
    expect(err.payment_intent?.status).toBe('requires_payment_method');
    const after = await stripe.paymentIntents.retrieve(pi.id);
    expect(after.last_payment_error?.decline_code).toBe('generic_decline');
    const ok = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
    expect(ok.status).toBe('succeeded');
    await expect(stripe.paymentIntents.cancel(pi.id)).rejects.toThrow(/status of succeeded/);
  });

  it('an authorized payment intent keeps its amount: updating it is refused, other fields still change', async () => {
    const pi = await authorize(5000);
    expect(pi.status).toBe('requires_capture');
    await expect(stripe.paymentIntents.update(pi.id, { amount: 9000 })).rejects.toThrow(
      /could not be updated because it has a status of requires_capture/,
    );
    const described = await stripe.paymentIntents.update(pi.id, { description: 'order 7' });
    expect([described.amount, described.amount_capturable, described.description]).toEqual([
      5000,
      5000,
      'order 7',
    ]);
  });

  it('refunds are bounded by what was captured (partial capture)', async () => {
    const pi = await authorize(5000);
    await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 3000 });
    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 3001 })).rejects.toThrow(
      /greater than unrefunded amount/,
    );
    await stripe.refunds.create({ payment_intent: pi.id });
    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 1 })).rejects.toThrow(
      /already been refunded/,
    );
  });

  it('subscription: no payment method → 400; declined card → incomplete; error_if_incomplete creates nothing; paying the invoice activates', async () => {
    const c = await stripe.customers.create({ email: 's@example.com' });
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1000,
      recurring: { interval: 'month' },
      product_data: { name: 'Plan' },
    });
    await expect(
      stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] }),
    ).rejects.toThrow(/no attached payment source/);
    const bad = await stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: c.id });
    const incomplete = await stripe.subscriptions.create({
      customer: c.id,
      items: [{ price: price.id }],
      default_payment_method: bad.id,
      expand: ['latest_invoice'],
    });
    expect(incomplete.status).toBe('incomplete');
    expect((incomplete.latest_invoice as Stripe.Invoice).status).toBe('open');
    const before = (await stripe.subscriptions.list({ customer: c.id, status: 'all' })).data.length;
    await expect(
      stripe.subscriptions.create({
        customer: c.id,
        items: [{ price: price.id }],
        default_payment_method: bad.id,
        payment_behavior: 'error_if_incomplete',
      }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeCardError);
    expect((await stripe.subscriptions.list({ customer: c.id, status: 'all' })).data.length).toBe(before);
    const good = await stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
    const paid = await stripe.invoices.pay((incomplete.latest_invoice as Stripe.Invoice).id, {
      payment_method: good.id,
    });
    expect(paid.status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(incomplete.id)).status).toBe('active');
  });

  it('one-time prices are refused in subscriptions and subscription-mode Checkout', async () => {
    const c = await stripe.customers.create({});
    const oneTime = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 100,
      product_data: { name: 'Once' },
    });
    await expect(
      stripe.subscriptions.create({
        customer: c.id,
        items: [{ price: oneTime.id }],
        payment_behavior: 'default_incomplete',
      }),
    ).rejects.toThrow(/type=recurring/);
    await expect(
      stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price: oneTime.id, quantity: 1 }],
      }),
    ).rejects.toThrow(/recurring price/);
  });

  it('expand[] replaces ids with objects; events record state changes', async () => {
    const c = await stripe.customers.create({ email: 'e@example.com' });
    const pi = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      customer: c.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      expand: ['customer', 'latest_charge'],
    });
    expect((pi.customer as Stripe.Customer).email).toBe('e@example.com');
    expect((pi.latest_charge as Stripe.Charge).amount).toBe(700);
    const events = await stripe.events.list({ type: 'payment_intent.*', limit: 100 });
    expect(events.data.map((e) => e.type)).toEqual(
      expect.arrayContaining(['payment_intent.created', 'payment_intent.succeeded']),
    );
  });

  it('Connect: objects live in the account named by Stripe-Account', async () => {
    const acct = await stripe.accounts.create({ type: 'express', country: 'US' });
    const connected = await createStripeClient({
      apiKey: KEY,
      apiVersion: PINNED_API_VERSION,
      timeoutMs: 5000,
      maxNetworkRetries: 0,
      apiBase: sb.url,
      stripeAccount: acct.id,
    });
    const c = await connected.customers.create({ email: 'connect@example.com' });
    expect((await connected.accounts.retrieveCurrent()).id).toBe(acct.id);
    await expect(stripe.customers.retrieve(c.id)).rejects.toThrow(/No such customer/);
  });
});

// Stripe's published OpenAPI spec (../shared/stripe-openapi, API 2024-04-10): the sandbox's objects must
// carry every field the spec marks required, except those the newer API version pinned by the SDK removed.
const SPEC = join(import.meta.dirname, '..', '..', 'shared', 'stripe-openapi', 'spec3.json');
const REMOVED_SINCE_2024 = new Set([
  'invoice.subscription',
  'invoice.payment_intent',
  'invoice.charge',
  'invoice.paid',
  'invoice.paid_out_of_band',
  'subscription.current_period_end',
  'subscription.current_period_start',
  'subscription.plan',
  'price.recurring.aggregate_usage',
  'customer.default_source',
  'invoiceitem.price',
  'invoiceitem.plan',
  'invoiceitem.subscription',
  'invoiceitem.subscription_item',
  'invoiceitem.unit_amount',
  'invoiceitem.unit_amount_decimal',
  'invoiceitem.tax_rates',
  'invoiceitem.test_clock',
  'invoiceitem.discounts',
]);

describe('balance transactions, payouts and the balance', () => {
  const usd = (list: { amount: number; currency: string }[]) =>
    list.find((b) => b.currency === 'usd')?.amount ?? 0;

  it('a charge, its refund and a dispute each move the balance by a transaction with its fee and available date', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 10_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      expand: ['latest_charge'],
    });
    const charge = pi.latest_charge as Stripe.Charge;
    const txn = await stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
    expect(txn).toMatchObject({
      type: 'charge',
      reporting_category: 'charge',
      source: charge.id,
      amount: 10_000,
      fee: 320, // 2.9% + 30
      net: 9_680,
      status: 'pending',
      available_on: charge.created + 2 * 86_400,
    });
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 2_500 });
    const back = await stripe.balanceTransactions.retrieve(refund.balance_transaction as string);
    expect(back).toMatchObject({ type: 'refund', amount: -2_500, fee: 0, net: -2_500, source: refund.id });

    const disputed = await stripe.paymentIntents.create({
      amount: 4_000,
      currency: 'usd',
      payment_method: 'pm_card_createDispute',
      confirm: true,
    });
    const [dispute] = (await stripe.disputes.list({ payment_intent: disputed.id })).data;
    expect(dispute!.balance_transactions).toEqual([
      expect.objectContaining({
        type: 'adjustment',
        reporting_category: 'dispute',
        amount: -4_000,
        fee: 1_500,
        net: -5_500,
      }),
    ]);
    // Filters: by type, and by source.
    const refunds = await stripe.balanceTransactions.list({ type: 'refund', limit: 100 });
    expect(refunds.data.map((t) => t.source)).toContain(refund.id);
    expect(refunds.data.every((t) => t.type === 'refund')).toBe(true);
    const bySource = await stripe.balanceTransactions.list({ source: charge.id });
    expect(bySource.data.map((t) => t.id)).toEqual([txn.id]);
  });

  it('GET /v1/balance is the sum of the transactions; a payout is bounded by what is available, takes it out, and a cancel puts it back', async () => {
    const before = await stripe.balance.retrieve();
    // pm_card_visa's funds are pending: a payout of them is refused and changes nothing.
    await stripe.paymentIntents.create({
      amount: 5_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const tooMuch = await stripe.payouts
      .create({ amount: Math.max(usd(before.available), 0) + 1, currency: 'usd' })
      .catch((e: unknown) => e as Stripe.errors.StripeInvalidRequestError);
    expect((tooMuch as Stripe.errors.StripeInvalidRequestError).code).toBe('balance_insufficient');
    const mid = await stripe.balance.retrieve();
    expect(usd(mid.pending) - usd(before.pending)).toBe(5_000 - 175);
    expect(usd(mid.available)).toBe(usd(before.available));

    await stripe.paymentIntents.create({
      amount: 50_000,
      currency: 'usd',
      payment_method: 'pm_card_bypassPending',
      confirm: true,
    });
    const funded = await stripe.balance.retrieve();
    expect(usd(funded.available) - usd(before.available)).toBe(50_000 - 1_480);
    const payout = await stripe.payouts.create({ amount: 15_000, currency: 'usd', description: 'weekly' });
    expect(payout).toMatchObject({ status: 'pending', amount: 15_000, method: 'standard' });
    expect(payout.arrival_date).toBe(payout.created + 2 * 86_400);
    const out = await stripe.balanceTransactions.list({ payout: payout.id });
    expect(out.data).toEqual([expect.objectContaining({ type: 'payout', amount: -15_000, net: -15_000 })]);
    expect(usd((await stripe.balance.retrieve()).available)).toBe(usd(funded.available) - 15_000);
    expect((await stripe.payouts.list({ status: 'pending', limit: 100 })).data.map((p) => p.id)).toContain(
      payout.id,
    );

    const canceled = await stripe.payouts.cancel(payout.id);
    expect(canceled.status).toBe('canceled');
    expect(usd((await stripe.balance.retrieve()).available)).toBe(usd(funded.available));
    await expect(stripe.payouts.cancel(payout.id)).rejects.toThrow(/only a pending payout/);
    // Every movement is a transaction: the balance is their sum, per state.
    const all = await stripe.balanceTransactions.list({ currency: 'usd', limit: 100 });
    const now = Math.floor(Date.now() / 1000);
    const sum = (available: boolean) =>
      all.data.filter((t) => t.available_on <= now === available).reduce((n, t) => n + t.net, 0);
    const after = await stripe.balance.retrieve();
    expect([usd(after.available), usd(after.pending)]).toEqual([sum(true), sum(false)]);
  });
});

describe.skipIf(!existsSync(SPEC))("object shapes match Stripe's OpenAPI spec", () => {
  type Schema = { required?: string[]; properties?: Record<string, unknown> };
  let schemas: Record<string, Schema>;
  beforeAll(() => {
    schemas = (JSON.parse(readFileSync(SPEC, 'utf8')) as { components: { schemas: Record<string, Schema> } })
      .components.schemas;
  });

  it('required fields are present', async () => {
    const c = await stripe.customers.create({ email: 'shape@example.com' });
    const product = await stripe.products.create({ name: 'Shape' });
    const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 });
    const coupon = await stripe.coupons.create({ percent_off: 10 });
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
    const pi = await stripe.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      payment_method: pm.id,
      customer: c.id,
      confirm: true,
    });
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 100 });
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://example.com',
    });
    const link = await stripe.paymentLinks.create({ line_items: [{ price: price.id, quantity: 1 }] });
    const txn = await stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
    // Funds available at once, so the payout is not refused whatever ran before.
    await stripe.paymentIntents.create({
      amount: 90_000,
      currency: 'usd',
      payment_method: 'pm_card_bypassPending',
      confirm: true,
    });
    const payout = await stripe.payouts.create({ amount: 100, currency: 'usd', method: 'instant' });
    const balance = await stripe.balance.retrieve();
    const objects: [string, object][] = [
      ['customer', c],
      ['product', product],
      ['price', price],
      ['coupon', coupon],
      ['payment_method', pm],
      ['payment_intent', pi],
      ['charge', charge],
      ['refund', refund],
      ['checkout.session', session],
      ['payment_link', link],
      ['balance_transaction', txn],
      ['payout', payout],
      ['balance', balance],
    ];
    const missing: string[] = [];
    for (const [name, obj] of objects) {
      const schema = schemas[name];
      expect(schema, name).toBeDefined();
      for (const field of schema!.required ?? []) {
        if (!(field in obj) && !REMOVED_SINCE_2024.has(`${name}.${field}`)) missing.push(`${name}.${field}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
if (!existsSync(SPEC)) console.warn(`skipping OpenAPI shape checks: ${SPEC} not found (../shared is absent)`);

describe('a long-running sandbox stays bounded', () => {
  it('keeps at most `retain` events, idempotent responses and request-log entries; the in-memory store too', async () => {
    const { startSandbox } = await import('../src/sandbox/index.js');
    const { createMemoryStore } = await import('../src/storage/memory/index.js');
    const { startStack } = await import('./helpers.js');
    const small = await startSandbox({ retain: 50 });
    const store = createMemoryStore({ retain: 50 });
    const s = await startStack({ reuse: small, runner: { audit: store.audit, events: undefined } });
    try {
      for (let i = 0; i < 200; i++)
        expect((await s.call('create_customer', { email: `b${i}@example.com` })).isError).toBe(false);
      expect(small.state.platform.all('event').length).toBeLessThanOrEqual(50);
      expect(small.state.idempotency.size).toBeLessThanOrEqual(50);
      expect(small.state.requestLog.length).toBeLessThanOrEqual(50);
      expect((await store.audit.query({})).length).toBeLessThanOrEqual(50);
      // What is kept is the newest, and still served.
      const events = await s.stripe.events.list({ limit: 3 });
      expect(events.data[0]!.data.object).toMatchObject({ email: 'b199@example.com' });
    } finally {
      await s.close();
      await small.close();
    }
  });
});
