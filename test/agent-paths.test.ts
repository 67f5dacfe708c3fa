// What an agent trips over, through a real client: a refunded or disputed payment's status, a payment
// that waits on the customer's 3-D Secure check (and the page the customer opens), and the default
// profile's prompts, which name only tools the profile has.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_TOOLS, selectTools } from '../src/tools/registry.js';
import { startStack, type Stack } from './helpers.js';

/** A restricted key that may read payment intents and nothing else. */
const RESTRICTED = `rk_test_${'payments'}readonly01`;

let st: Stack;
beforeAll(async () => {
  st = await startStack();
});
afterAll(() => st?.close());

describe('get_payment_status after the payment', () => {
  it('a partly refunded payment says so, with its refunds', async () => {
    const pi = await st.stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const refund = await st.stripe.refunds.create({ payment_intent: pi.id, amount: 2000 });
    const r = await st.call('get_payment_status', { payment_intent_id: pi.id });
    expect(r.data).toMatchObject({
      status: 'succeeded',
      amount_received: 5000,
      amount_refunded: 2000,
      refunds: [{ id: refund.id, amount: 2000, status: 'succeeded' }],
      disputes: [],
    });
    expect(r.text).toContain('Partly refunded: 20.00 USD of 50.00 USD.');
    await st.stripe.refunds.create({ payment_intent: pi.id });
    const full = await st.call('get_payment_status', { payment_intent_id: pi.id });
    expect(full.data.amount_refunded).toBe(5000);
    expect(full.text).toContain('Refunded in full: 50.00 USD of 50.00 USD.');
  });

  it('a disputed payment says so, with the dispute', async () => {
    const pi = await st.stripe.paymentIntents.create({
      amount: 4200,
      currency: 'eur',
      payment_method: 'pm_card_createDispute',
      confirm: true,
    });
    const [dispute] = (await st.stripe.disputes.list({ payment_intent: pi.id })).data;
    const r = await st.call('get_payment_status', { payment_intent_id: pi.id });
    expect(r.data.disputes).toEqual([
      { id: dispute!.id, amount: 4200, status: dispute!.status, reason: dispute!.reason },
    ]);
    expect(r.text).toContain(`Disputed (${dispute!.reason}): ${dispute!.id} is ${dispute!.status}`);
  });

  it('a key that may not read refunds still gets the status, and is told what it could not read', async () => {
    const limited = await startStack({
      sandbox: { restrictedKeys: { [RESTRICTED]: ['rak_payment_intent_read'] } },
      apiKey: RESTRICTED,
      maxNetworkRetries: 0,
    });
    try {
      const pi = await limited.stripe.paymentIntents.create({
        amount: 1500,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      const r = await limited.call('get_payment_status', { payment_intent_id: pi.id });
      expect(r.data).toMatchObject({ status: 'succeeded', amount_received: 1500, refunds: [], disputes: [] });
      expect(r.text).toMatch(/Its refunds could not be read \(.*rak_refund_read.*\); the status stands\./);
    } finally {
      await limited.close();
    }
  });
});

describe('3-D Secure: the customer must authenticate', () => {
  const returnUrl = 'https://shop.example.com/after-payment';

  /** The customer opens the link and presses a button on the bank's page. */
  async function authenticate(link: string, result: 'complete' | 'fail') {
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/confirm a payment of <strong>50\.00 USD<\/strong>/);
    const done = await fetch(link, {
      method: 'POST',
      body: new URLSearchParams({ result }),
      redirect: 'manual',
    });
    expect(done.status).toBe(303);
    return new URL(done.headers.get('location')!);
  }

  it('with a return_url: the result says to send the customer a link; completing it there makes the payment succeed', async () => {
    const r = await st.call('create_payment_intent', {
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: returnUrl,
    });
    expect(r.data).toMatchObject({ status: 'requires_action', next_action: 'redirect_to_url' });
    const link = /open in their browser: (\S+) \./.exec(r.text)?.[1];
    expect(link, r.text).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/3ds\/authenticate\/pi_/);
    expect(r.text).toContain(`come back to ${returnUrl}`);
    expect(r.text).toMatch(/Nobody else can authenticate for them/);

    const back = await authenticate(link!, 'complete');
    expect(back.origin + back.pathname).toBe(returnUrl);
    expect(Object.fromEntries(back.searchParams)).toMatchObject({
      payment_intent: r.data.id,
      redirect_status: 'succeeded',
    });
    const status = await st.call('get_payment_status', { payment_intent_id: r.data.id });
    expect(status.data).toMatchObject({ status: 'succeeded', amount_received: 5000 });
    // Done: the link does not charge twice.
    expect(
      (await fetch(link!, { method: 'POST', body: new URLSearchParams({ result: 'complete' }) })).status,
    ).toBe(409);
  });

  it('a failed authentication sends the customer back with redirect_status=failed; the payment needs another method', async () => {
    const r = await st.call('create_payment_intent', {
      amount: 5000,
      currency: 'usd',
      description: 'a second payment (an identical call would be the first one again)',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: returnUrl,
    });
    const link = /open in their browser: (\S+) \./.exec(r.text)![1]!;
    const back = await authenticate(link, 'fail');
    expect(back.searchParams.get('redirect_status')).toBe('failed');
    const pi = await st.stripe.paymentIntents.retrieve(r.data.id);
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error?.code).toBe('payment_intent_authentication_failure');
  });

  it('without a return_url: the advice says how to get a link, naming tools the default profile has', async () => {
    const compact = await startStack({ reuse: st.sandbox, tools: selectTools(['compact']) });
    try {
      const r = await compact.call('create_payment_intent', {
        amount: 5000,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
      });
      expect(r.data).toMatchObject({ status: 'requires_action', next_action: 'use_stripe_sdk' });
      expect(r.text).toMatch(
        /confirm it again with a return_url \(POST \/v1\/payment_intents\/pi_\w+\/confirm\)/,
      );
      expect(r.text).toMatch(/create_checkout_session/);
      const status = await compact.call('get_payment_status', { payment_intent_id: r.data.id });
      expect(status.text).toMatch(/3-D Secure/);
    } finally {
      await compact.close();
    }
  });
});

describe('the default profile', () => {
  let compact: Stack;
  const names = new Set(selectTools(['compact']).map((t) => t.name));
  /** Tool names a text mentions: any registered tool's name, or a generic tool's. */
  const toolsIn = (text: string) =>
    ALL_TOOLS.map((t) => t.name).filter((n) => new RegExp(`\\b${n}\\b`).test(text));

  beforeAll(async () => {
    compact = await startStack({ reuse: st.sandbox, tools: selectTools(['compact']) });
  });
  afterAll(() => compact?.close());

  it('offers the three prompts, and each names only tools the profile has', async () => {
    const prompts = (await compact.client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toEqual(['take_payment', 'start_subscription', 'refund_payment']);
    for (const [name, args] of [
      ['take_payment', { amount: '49.00', description: 'Consulting', customer_email: 'a@b.co' }],
      ['start_subscription', { customer_email: 'sub@b.co', trial_period_days: '14' }],
      ['refund_payment', { payment_intent: 'pi_123', amount: '5.00' }],
    ] as const) {
      const text = (
        (await compact.client.getPrompt({ name, arguments: args })).messages[0]!.content as { text: string }
      ).text;
      const mentioned = toolsIn(text);
      expect(mentioned.length, text).toBeGreaterThan(0);
      expect(
        mentioned.filter((n) => !names.has(n)),
        text,
      ).toEqual([]);
    }
    const refund = await compact.client.getPrompt({
      name: 'refund_payment',
      arguments: { payment_intent: 'pi_123' },
    });
    expect((refund.messages[0]!.content as { text: string }).text).toContain(
      'stripe_api_read(path="/v1/refunds", params={"payment_intent": "pi_123"})',
    );
  });

  it('refusals and errors there name only tools the profile has', async () => {
    const card = await compact.call('create_customer', {
      email: 'x@example.com',
      description: '4242 4242 4242 4242',
    });
    expect(card.isError).toBe(true);
    const declined = await compact.call('create_payment_intent', {
      amount: 900,
      payment_method: 'pm_card_chargeDeclinedLostCard',
      confirm: true,
    });
    const noEndpoint = await compact.call('stripe_api_read', { path: '/v1/not_a_thing' });
    for (const r of [card, declined, noEndpoint]) {
      expect(r.isError).toBe(true);
      expect(
        toolsIn(r.text).filter((n) => !names.has(n)),
        r.text,
      ).toEqual([]);
    }
  });
});
