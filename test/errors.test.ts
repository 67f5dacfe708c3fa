import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { defineTool, READ } from '../src/tools/define-tool.js';
import { startStack, writesSeen, type Stack } from './helpers.js';

/** Each error class, as an agent sees it: isError, Stripe's type and code, and the next action. */
let sandbox: RunningSandbox;
let s: Stack;

beforeAll(async () => {
  sandbox = await startSandbox();
  s = await startStack({ reuse: sandbox, maxNetworkRetries: 0 });
});
afterAll(async () => {
  await s.close();
  await sandbox.close();
});

const stripeError = (r: { result: { _meta?: Record<string, unknown> } }) =>
  (r.result._meta?.['mcp-stripe'] as { stripe_error: Record<string, unknown> }).stripe_error;

describe('input validation', () => {
  it.each([
    [
      'wrong type',
      'create_payment_intent',
      { amount: '20.00' },
      /"amount": Invalid input: expected number, received string/,
    ],
    [
      'missing field',
      'retrieve_customer',
      {},
      /"customer": Invalid input: expected string, received undefined/,
    ],
    [
      'unknown argument (a typo is not silently dropped)',
      'create_payment_intent',
      { amount: 500, capture: 'manual' },
      /unknown argument "capture" \(this tool takes: amount, currency/,
    ],
    [
      'enum',
      'create_refund',
      { payment_intent: 'pi_1', reason: 'because' },
      /"reason": Invalid option: expected one of "duplicate"\|"fraudulent"\|"requested_by_customer"/,
    ],
    ['email', 'create_customer', { email: 'jane at example.com' }, /"email": Invalid email address/],
    ['nested', 'create_subscription', { customer: 'cus_1', items: [{ quantity: 1 }] }, /"items\.0\.price"/],
    [
      'rule the schema cannot express',
      'create_coupon',
      { percent_off: 10, amount_off: 100 },
      /"percent_off": pass exactly one of percent_off or amount_off/,
    ],
    ['cross-field on refunds', 'create_refund', {}, /"payment_intent": pass exactly one of payment_intent/],
  ])('%s → isError naming the field, nothing sent', async (_label, tool, args, pattern) => {
    const before = writesSeen(sandbox);
    const r = await s.call(tool, args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(pattern);
    expect(r.text).toContain('Nothing was sent to Stripe');
    expect(writesSeen(sandbox)).toBe(before);
  });
});

describe('Stripe errors', () => {
  it('card_error: generic decline → ask for another payment method', async () => {
    const r = await s.call('create_payment_intent', {
      amount: 2000,
      payment_method: 'pm_card_chargeDeclined',
      confirm: true,
    });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(
      /^Stripe card_error \(code card_declined, decline_code generic_decline, payment_intent pi_\w+, charge ch_\w+\): Your card was declined\./,
    );
    expect(r.text).toMatch(/Next: .*call their bank or use another payment method/);
    expect(r.text).toMatch(/Request id: req_/);
    expect(stripeError(r)).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'generic_decline',
      http_status: 402,
      retryable: false,
    });
    // The failed payment intent is the one to retry with another payment method: it is named, and it is real.
    const failed = await s.stripe.paymentIntents.retrieve(stripeError(r).payment_intent as string);
    expect(failed).toMatchObject({ status: 'requires_payment_method', amount: 2000 });
    expect(failed.last_payment_error?.decline_code).toBe('generic_decline');
  });

  it('card_error: insufficient funds, expired card, incorrect CVC each get their own advice', async () => {
    const cases = [
      ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds', /smaller amount/],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card', /has expired/],
      ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', /Never collect card details in chat/],
      ['pm_card_chargeDeclinedProcessingError', 'processing_error', /retry the same call/],
    ] as const;
    for (const [pm, decline, advice] of cases) {
      const r = await s.call('create_payment_intent', { amount: 2000, payment_method: pm, confirm: true });
      expect(stripeError(r).decline_code).toBe(decline);
      expect(r.text).toMatch(advice);
    }
  });

  it('card_error off-session on a 3DS card → authentication_required', async () => {
    const r = await s.call('create_payment_intent', {
      amount: 2000,
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      off_session: true,
    });
    expect(stripeError(r)).toMatchObject({ type: 'card_error', decline_code: 'authentication_required' });
    expect(r.text).toMatch(/on-session/);
  });

  it('invalid_request_error with a param → fix that param', async () => {
    const pi = await s.call('create_payment_intent', {
      amount: 1000,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const r = await s.call('create_refund', { payment_intent: pi.data.id, amount: 5000 });
    expect(stripeError(r)).toMatchObject({
      type: 'invalid_request_error',
      code: 'amount_too_large',
      param: 'amount',
    });
    expect(r.text).toContain('Refund amount ($50.00) is greater than unrefunded amount on charge ($10.00)');
    expect(r.text).toMatch(/Next: Fix the "amount" argument/);
  });

  it('invalid_request_error resource_missing → check the id', async () => {
    const r = await s.call('retrieve_customer', { customer: 'cus_doesnotexist' });
    expect(stripeError(r)).toMatchObject({
      type: 'invalid_request_error',
      code: 'resource_missing',
      http_status: 404,
    });
    expect(r.text).toMatch(/No such customer: 'cus_doesnotexist'/);
    expect(r.text).toMatch(/Check the id/);
  });

  it('invalid_request_error without param (wrong state)', async () => {
    const pi = await s.call('create_payment_intent', {
      amount: 1000,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const r = await s.call('capture_payment_intent', { payment_intent: pi.data.id });
    expect(stripeError(r)).toMatchObject({ code: 'payment_intent_unexpected_state' });
    expect(r.text).toMatch(/status of succeeded/);
  });

  it('idempotency_error: the same key with different arguments', async () => {
    const first = await s.call('create_customer', { email: 'one@example.com', idempotency_key: 'my-key-1' });
    expect(first.isError).toBe(false);
    const r = await s.call('create_customer', { email: 'two@example.com', idempotency_key: 'my-key-1' });
    expect(stripeError(r)).toMatchObject({ type: 'idempotency_error' });
    expect(r.text).toMatch(/pass a new idempotency_key/);
  });

  it('authentication_error → fix configuration; the key never appears', async () => {
    const bad = await startStack({
      reuse: sandbox,
      apiKey: 'sk_test_revokedkey99999999',
      sandbox: undefined,
      maxNetworkRetries: 0,
    });
    // The shared sandbox accepts any well-formed test key; use one with a fixed key list instead.
    await bad.close();
    const strict = await startStack({
      sandbox: { apiKeys: ['sk_test_theonlyvalidkey1'] },
      apiKey: 'sk_test_revokedkey99999999',
      maxNetworkRetries: 0,
    });
    try {
      const r = await strict.call('list_customers');
      expect(stripeError(r)).toMatchObject({ type: 'authentication_error', http_status: 401 });
      expect(r.text).toMatch(/Fix the server configuration/);
      expect(r.text).not.toContain('revokedkey');
      expect(JSON.stringify(r.result)).not.toContain('revokedkey');
      expect(strict.logs.join('')).not.toContain('revokedkey');
    } finally {
      await strict.close();
    }
  });

  it('permission_error: a Connect account the key cannot reach', async () => {
    const other = await startStack({ reuse: sandbox, stripeAccount: 'acct_notmine', maxNetworkRetries: 0 });
    try {
      const r = await other.call('list_customers');
      expect(stripeError(r)).toMatchObject({ type: 'permission_error', http_status: 403 });
      expect(r.text).toMatch(/not allowed/);
    } finally {
      await other.close();
    }
  });

  it('rate_limit_error → wait and retry', async () => {
    sandbox.state.faults.push({ kind: 'status', status: 429, path: '/v1/customers' });
    const r = await s.call('list_customers');
    expect(stripeError(r)).toMatchObject({ type: 'rate_limit_error', retryable: true });
    expect(r.text).toMatch(/wait a few seconds/);
  });

  it('api_error (500) → retry is safe', async () => {
    sandbox.state.faults.push({ kind: 'status', status: 500, path: '/v1/products' });
    const r = await s.call('list_products');
    expect(stripeError(r)).toMatchObject({ type: 'api_error', http_status: 500, retryable: true });
  });

  it('connection error: an unresponsive Stripe fails within the timeout, not a hang', async () => {
    const slow = await startStack({ reuse: sandbox, timeoutMs: 300, maxNetworkRetries: 1 });
    try {
      sandbox.state.faults.push({ kind: 'delay', ms: 2_000, path: '/v1/balance', times: 2 });
      const r = await slow.call('retrieve_balance');
      expect(stripeError(r)).toMatchObject({ type: 'connection_error', retryable: true });
      expect(r.text).toMatch(/Could not reach the Stripe API/);
    } finally {
      sandbox.state.faults.clear();
      await slow.close();
    }
  });

  it("a call bounded by the server's deadline (retries included) answers before the client gives up, and a retry is safe", async () => {
    const bounded = await startStack({ reuse: sandbox, timeoutMs: 20_000, runner: { callTimeoutMs: 400 } });
    try {
      sandbox.state.faults.push({ kind: 'delay', ms: 2_500, method: 'POST', path: '/v1/customers' });
      const email = `deadline-${Date.now()}@example.com`;
      const r = await bounded.call('create_customer', { email });
      expect(r.isError).toBe(true);
      expect(r.result._meta?.['mcp-stripe']).toMatchObject({ error: 'call_timeout', outcome: 'unknown' });
      expect(r.text).toMatch(/did not answer within 0 s|did not answer within 1 s/);
      expect(r.text).toContain('Retrying the same call is safe');
      // The slow request completes at Stripe; the retry replays it: one customer.
      await vi.waitFor(
        () => expect(sandbox.state.platform.all('customer').filter((c) => c.email === email)).toHaveLength(1),
        { timeout: 20_000, interval: 100 },
      );
      const again = await bounded.call('create_customer', { email });
      expect(again.isError, again.text).toBe(false);
      expect(sandbox.state.platform.all('customer').filter((c) => c.email === email)).toHaveLength(1);
    } finally {
      sandbox.state.faults.clear();
      await bounded.close();
    }
  });

  it('connection error: nothing listening', async () => {
    const gone = await startSandbox();
    const s2 = await startStack({ reuse: gone, maxNetworkRetries: 0 });
    await gone.close();
    const r = await s2.call('get_stripe_account_info');
    expect(stripeError(r).type).toBe('connection_error');
    await s2.close();
  });
});

describe('internal errors', () => {
  it('a non-Stripe failure is logged with a reference; the agent sees only the reference', async () => {
    const broken = defineTool({
      name: 'explode',
      title: 'Explode',
      description: 'Fails.',
      toolset: 'account',
      access: { moneyMoving: false },
      annotations: READ,
      input: {},
      output: z.object({ ok: z.boolean() }),
      handler: () => Promise.reject(new Error('database password is hunter2 at /srv/app.js:12')),
    });
    const st = await startStack({ reuse: sandbox, tools: [broken] });
    try {
      const r = await st.call('explode');
      expect(r.isError).toBe(true);
      const ref = /^internal error \(ref ([0-9a-f]{8})\)/.exec(r.text)?.[1];
      expect(ref).toBeDefined();
      expect(r.text).not.toContain('hunter2');
      expect(r.text).not.toContain('app.js');
      const logged = st.logs.find((l) => l.includes(ref!));
      expect(logged).toContain('hunter2');
    } finally {
      await st.close();
    }
  });
});
