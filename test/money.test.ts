import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAmountLimit, type AmountLimit } from '../src/policy/amounts.js';
import { isPermitted } from '../src/policy/permissions.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { createMemoryStore } from '../src/storage/memory/index.js';
import { startStack, writesSeen, type Stack } from './helpers.js';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const limit = (s: string) => parseAmountLimit(s) as AmountLimit;
const meta = (r: { result: { _meta?: Record<string, unknown> } }) =>
  r.result._meta?.['mcp-stripe'] as Record<string, any>;

/** Money-moving endpoints that once escaped every limit through stripe_api_write (issue 11). */
const ESCAPES: [string, Record<string, unknown>][] = [
  ['/v1/treasury/outbound_payments', { financial_account: 'fa_1', amount: 100_000, currency: 'usd' }],
  ['/v2/money_management/outbound_payments', { amount: { value: 100_000, currency: 'usd' } }],
  ['/v2/money_management/payout_intents', { amount: { value: 100_000, currency: 'usd' } }],
  ['/v1/terminal/readers/tmr_1/refund_payment', { amount: 100_000 }],
  ['/v1/terminal/readers/tmr_1/process_payment_intent', { payment_intent: 'pi_missing' }],
  [
    '/v1/subscription_items',
    { subscription: 'sub_1', price_data: { unit_amount: 100_000, currency: 'usd' } },
  ],
  ['/v1/subscription_schedules', { customer: 'cus_1' }],
  ['/v1/subscriptions/sub_1/resume', {}],
  ['/v1/quotes/qt_1/accept', {}],
  ['/v1/payment_intents/pi_1/apply_customer_balance', { amount: 100_000, currency: 'usd' }],
  ['/v1/climate/orders', { product: 'climsku_1', amount: 100_000, currency: 'usd' }],
];

describe('money policy fails closed', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ reuse: sandbox, runner: { policy: { maxAmount: limit('1000') } } });
  });
  afterAll(async () => {
    await s.close();
  });

  it.each(ESCAPES)(
    'POST %s is refused under --max-amount before anything reaches Stripe',
    async (path, params) => {
      const before = writesSeen(sandbox);
      const r = await s.call('stripe_api_write', { method: 'POST', path, params });
      expect(r.isError).toBe(true);
      expect(meta(r).error ?? meta(r).stripe_error?.type).toMatch(
        /max_amount_exceeded|amount_unknown|invalid_request_error/,
      );
      expect(writesSeen(sandbox)).toBe(before);
    },
  );

  it('the same endpoints are refused with --deny=*.money, and confirmed with --confirm=money', async () => {
    const denied = await startStack({
      reuse: sandbox,
      runner: { permits: (t) => isPermitted(t, { allow: 'all', deny: ['*.money'], readOnly: false }) },
    });
    const confirmed = await startStack({ reuse: sandbox, runner: { policy: { confirm: 'money' } } });
    try {
      for (const [path, params] of ESCAPES) {
        const before = writesSeen(sandbox);
        const d = await denied.call('stripe_api_write', { method: 'POST', path, params });
        expect(meta(d).error, path).toBe('money_not_allowed');
        const c = await confirmed.call('stripe_api_write', { method: 'POST', path, params });
        // No client channel to a human in this stack: confirmation is required and so the call is refused.
        expect(meta(c).error ?? meta(c).stripe_error?.type, path).toMatch(
          /confirmation_unavailable|invalid_request_error/,
        );
        expect(writesSeen(sandbox), path).toBe(before);
      }
    } finally {
      await denied.close();
      await confirmed.close();
    }
  });

  it('a subscription counts its add_invoice_items, even in a trial', async () => {
    const customer = await s.stripe.customers.create({ email: 'sub@example.com' });
    const product = await s.stripe.products.create({ name: 'Plan' });
    const monthly = await s.stripe.prices.create({
      product: product.id,
      unit_amount: 500,
      currency: 'usd',
      recurring: { interval: 'month' },
    });
    const oneOff = await s.stripe.prices.create({
      product: product.id,
      unit_amount: 100_000,
      currency: 'usd',
    });
    const before = writesSeen(sandbox);
    const r = await s.call('stripe_api_write', {
      method: 'POST',
      path: '/v1/subscriptions',
      params: {
        customer: customer.id,
        items: [{ price: monthly.id }],
        trial_period_days: 7,
        add_invoice_items: [{ price: oneOff.id }],
      },
    });
    expect(r.text).toContain('would move 1,000.00 USD');
    expect(writesSeen(sandbox)).toBe(before);
    // Without the one-off item, a trial moves nothing now.
    const trial = await s.call('create_subscription', {
      customer: customer.id,
      items: [{ price: monthly.id }],
      trial_period_days: 7,
    });
    expect(trial.isError, trial.text).toBe(false);
  });

  it('a subscription update that invoices now (billing_cycle_anchor=now, always_invoice) is counted', async () => {
    const customer = await s.stripe.customers.create({ email: 'sub@example.com' });
    const product = await s.stripe.products.create({ name: 'Big plan' });
    const price = await s.stripe.prices.create({
      product: product.id,
      unit_amount: 5000,
      currency: 'usd',
      recurring: { interval: 'month' },
    });
    const sub = await s.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 30,
    });
    const before = writesSeen(sandbox);
    const r = await s.call('stripe_api_write', {
      method: 'POST',
      path: `/v1/subscriptions/${sub.id}`,
      params: { billing_cycle_anchor: 'now', proration_behavior: 'always_invoice' },
    });
    expect(r.text).toContain('would move 50.00 USD');
    expect(writesSeen(sandbox)).toBe(before);
    // A metadata-only update moves nothing and goes through.
    const meta = await s.call('stripe_api_write', {
      method: 'POST',
      path: `/v1/subscriptions/${sub.id}`,
      params: { metadata: { note: 'x' } },
    });
    expect(meta.isError, meta.text).toBe(false);
  });

  it.each([['1001.0'], [' 1001'], ['+1001'], ['1e4'], [null], [-5], [10.5], ['0x10']])(
    'a malformed amount (%j) is refused with a clear message, named and generic',
    async (amount) => {
      const store = createMemoryStore();
      const daily = await startStack({
        reuse: sandbox,
        runner: { policy: { dailyLimit: { limit: limit('5000'), ledger: store.ledger } } },
      });
      try {
        const before = writesSeen(sandbox);
        const r = await daily.call('stripe_api_write', {
          method: 'POST',
          path: '/v1/payment_intents',
          params: { amount, currency: 'usd', payment_method: 'pm_card_visa', confirm: true },
        });
        expect(r.isError).toBe(true);
        expect(meta(r).error).toBe('invalid_arguments');
        expect(r.text).toContain('"params.amount": must be a whole number of minor units');
        expect(r.text).not.toMatch(/internal|constraint/i);
        const capped = await s.call('stripe_api_write', {
          method: 'POST',
          path: '/v1/refunds',
          params: { payment_intent: 'pi_1', amount },
        });
        expect(meta(capped).error).toBe('invalid_arguments');
        expect(writesSeen(sandbox)).toBe(before);
      } finally {
        await daily.close();
      }
    },
  );
});

describe('the daily limit counts what moved, once', () => {
  it('a replay moves nothing: one $10 charge and four replays leave $40 of a $50 limit', async () => {
    const store = createMemoryStore();
    const s = await startStack({
      reuse: sandbox,
      runner: { policy: { dailyLimit: { limit: limit('5000'), ledger: store.ledger } } },
    });
    try {
      const args = {
        amount: 1000,
        payment_method: 'pm_card_visa',
        confirm: true,
        description: 'replayed ten',
      };
      const first = await s.call('create_payment_intent', args);
      for (let i = 0; i < 4; i++) {
        const again = await s.call('create_payment_intent', args);
        expect(again.data.id).toBe(first.data.id);
      }
      // The same request through the generic tool is the same request at Stripe: a replay too.
      const generic = await s.call('stripe_api_write', {
        method: 'POST',
        path: '/v1/payment_intents',
        params: {
          amount: 1000,
          currency: 'USD',
          payment_method: 'pm_card_visa',
          confirm: 'true',
          description: 'replayed ten',
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        },
      });
      expect(generic.data.result.id).toBe(first.data.id);
      expect(await store.ledger.used('sandbox:platform', 'usd', Date.now(), 86_400_000)).toBe(1000);
      const rest = await s.call('create_payment_intent', { ...args, amount: 4000, description: 'the rest' });
      expect(rest.isError, rest.text).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('Stripe commits then answers 500: the amount keeps counting, and a retry settles it without charging twice', async () => {
    const store = createMemoryStore();
    const s = await startStack({
      reuse: sandbox,
      maxNetworkRetries: 0,
      runner: { policy: { dailyLimit: { limit: limit('5000'), ledger: store.ledger } } },
    });
    try {
      const charges = () => sandbox.state.platform.all('payment_intent').length;
      const before = charges();
      sandbox.state.faults.push({
        kind: 'status_after_commit',
        status: 500,
        method: 'POST',
        path: '/v1/payment_intents',
      });
      const args = {
        amount: 5000,
        payment_method: 'pm_card_visa',
        confirm: true,
        description: 'unknown outcome',
      };
      const lost = await s.call('create_payment_intent', args);
      expect(lost.isError).toBe(true);
      expect(lost.text).toContain('Retrying the same call is safe');
      expect(meta(lost).outcome).toBe('unknown');
      expect(charges()).toBe(before + 1);
      // Another charge does not fit: the first one may have moved (it did).
      const other = await s.call('create_payment_intent', { ...args, description: 'another' });
      expect(meta(other).error).toBe('daily_limit_exceeded');
      expect(charges()).toBe(before + 1);
      // The retry replays the committed result: success, nothing counted twice.
      const retry = await s.call('create_payment_intent', args);
      expect(retry.isError, retry.text).toBe(false);
      expect(retry.data.status).toBe('succeeded');
      expect(await store.ledger.used('sandbox:platform', 'usd', Date.now(), 86_400_000)).toBe(5000);
      expect(charges()).toBe(before + 1);
    } finally {
      await s.close();
    }
  });

  it('without a daily limit, a 500 after commit still says the outcome is unknown and that a retry is safe', async () => {
    const s = await startStack({ reuse: sandbox, maxNetworkRetries: 0 });
    try {
      sandbox.state.faults.push({
        kind: 'status_after_commit',
        status: 500,
        method: 'POST',
        path: '/v1/customers',
      });
      const r = await s.call('create_customer', { email: 'unknown-outcome@example.com' });
      expect(r.isError).toBe(true);
      expect(meta(r).outcome).toBe('unknown');
      expect(r.text).toContain('Retrying the same call is safe');
      expect(r.text).not.toContain('daily limit');
      const again = await s.call('create_customer', { email: 'unknown-outcome@example.com' });
      expect(again.isError, again.text).toBe(false);
      expect(
        sandbox.state.platform.all('customer').filter((c) => c.email === 'unknown-outcome@example.com'),
      ).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('a connection dropped after commit: the SDK retry replays it inside the call and it counts once; dropped for good, it keeps counting; a definite refusal (4xx) releases', async () => {
    const store = createMemoryStore();
    const s = await startStack({
      reuse: sandbox,
      maxNetworkRetries: 1,
      runner: { policy: { dailyLimit: { limit: limit('10000'), ledger: store.ledger } } },
    });
    const used = () => store.ledger.used('sandbox:platform', 'usd', Date.now(), 86_400_000);
    try {
      sandbox.state.faults.push({ kind: 'drop_after_commit', method: 'POST', path: '/v1/payment_intents' });
      const once = await s.call('create_payment_intent', {
        amount: 3000,
        payment_method: 'pm_card_visa',
        confirm: true,
        description: 'dropped once',
      });
      expect(once.isError, once.text).toBe(false);
      expect(await used()).toBe(3000);
      // Committed, the answer lost, and every retry answered 500 without reaching the intent.
      sandbox.state.faults.push({ kind: 'drop_after_commit', method: 'POST', path: '/v1/payment_intents' });
      sandbox.state.faults.push({
        kind: 'status',
        status: 500,
        method: 'POST',
        path: '/v1/payment_intents',
        times: 10,
      });
      const lost = await s.call('create_payment_intent', {
        amount: 3000,
        payment_method: 'pm_card_visa',
        confirm: true,
        description: 'dropped always',
      });
      sandbox.state.faults.clear();
      expect(lost.isError).toBe(true);
      expect(meta(lost).outcome).toBe('unknown');
      expect(await used()).toBe(6000);
      // A declined card is a definite answer: nothing moved, nothing stays counted.
      const declined = await s.call('create_payment_intent', {
        amount: 2000,
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
      });
      expect(declined.isError).toBe(true);
      expect(meta(declined).outcome).toBeUndefined();
      expect(await used()).toBe(6000);
    } finally {
      await s.close();
    }
  });
});
