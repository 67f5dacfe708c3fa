import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCaller } from '../src/auth/caller.js';
import { selectTools } from '../src/tools/registry.js';
import { startStack, type Stack } from './helpers.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s.close();
});

describe('resources', () => {
  it('lists stripe://account and stripe://balance', async () => {
    const uris = (await s.client.listResources()).resources.map((r) => r.uri);
    expect(uris).toEqual(['stripe://account', 'stripe://balance']);
  });

  it('stripe://account is the account as JSON', async () => {
    const r = await s.client.readResource({ uri: 'stripe://account' });
    const content = r.contents[0] as { text: string; mimeType: string };
    expect(content.mimeType).toBe('application/json');
    expect(JSON.parse(content.text)).toMatchObject({
      id: expect.stringMatching(/^acct_/),
      mode: 'sandbox',
      country: 'US',
    });
  });

  it('stripe://balance follows payments: pending two days, less the fee; bypassPending available at once', async () => {
    const read = async () =>
      JSON.parse(
        ((await s.client.readResource({ uri: 'stripe://balance' })).contents[0] as { text: string }).text,
      ) as Record<'available' | 'pending', { amount: number; currency: string }[]>;
    const before = await read();
    const usd = (l: { amount: number; currency: string }[]) =>
      l.find((b) => b.currency === 'usd')?.amount ?? 0;
    await s.stripe.paymentIntents.create({
      amount: 3300,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const pending = await read();
    // 3,300 less 2.9% + 30 (the sandbox's fee schedule) = 3,174.
    expect(usd(pending.pending) - usd(before.pending)).toBe(3174);
    expect(usd(pending.available)).toBe(usd(before.available));
    await s.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_bypassPending',
      confirm: true,
    });
    expect(usd((await read()).available) - usd(before.available)).toBe(1000 - 59);
  });

  it('a Stripe failure is reported in the resource body, not as a crash', async () => {
    s.sandbox.state.faults.push({ kind: 'status', status: 500, path: '/v1/balance', times: 3 });
    const r = await s.client.readResource({ uri: 'stripe://balance' });
    expect(JSON.parse((r.contents[0] as { text: string }).text).error).toMatch(/api_error/);
    s.sandbox.state.faults.clear();
  });
});

describe('prompts', () => {
  it('offers the three workflows with their arguments', async () => {
    const prompts = (await s.client.listPrompts()).prompts;
    expect(prompts.map((p) => p.name)).toEqual(['take_payment', 'start_subscription', 'refund_payment']);
    expect(
      prompts.find((p) => p.name === 'refund_payment')!.arguments!.map((a) => [a.name, a.required]),
    ).toEqual([
      ['payment_intent', true],
      ['amount', false],
      ['reason', false],
    ]);
  });

  it.each([
    [
      'take_payment',
      { amount: '49.00', description: 'Consulting', customer_email: 'a@b.co' },
      ['create_checkout_session', 'list_customers(email="a@b.co")', '49.00 USD'],
    ],
    [
      'start_subscription',
      { customer_email: 'sub@b.co', trial_period_days: '14' },
      ['create_subscription', 'trial_period_days=14', 'list_prices'],
    ],
    [
      'refund_payment',
      { payment_intent: 'pi_123', reason: 'duplicate' },
      ['retrieve_payment_intent(payment_intent="pi_123")', 'create_refund', 'reason="duplicate"'],
    ],
  ])('%s names the tools to use', async (name, args, mentions) => {
    const p = await s.client.getPrompt({ name, arguments: args });
    const text = (p.messages[0]!.content as { text: string }).text;
    for (const m of mentions) expect(text).toContain(m);
  });

  it('a prompt whose tools are not enabled is not offered', async () => {
    const narrow = await startStack({
      reuse: s.sandbox,
      tools: selectTools(['create_refund', 'retrieve_payment_intent']),
    });
    try {
      expect((await narrow.client.listPrompts()).prompts.map((p) => p.name)).toEqual(['refund_payment']);
    } finally {
      await narrow.close();
    }
  });
});

describe('resources follow the tool permissions', () => {
  const resourcesWith = async (flags: Record<string, string>) => {
    const { loadConfig } = await import('../src/config/load.js');
    const { createRuntime } = await import('../src/runtime.js');
    const { silentLogger } = await import('../src/log.js');
    const { PINNED_API_VERSION } = await import('../src/stripe/client.js');
    const { Client, InMemoryTransport } = await import('@modelcontextprotocol/client');
    const config = loadConfig({
      flags: { sandbox: true, ...flags },
      env: {},
      defaultApiVersion: PINNED_API_VERSION,
    });
    const runtime = await createRuntime(config, silentLogger);
    const server = runtime.factory(localCaller('stdio'));
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(b);
    const client = new Client({ name: 'res', version: '1' });
    await client.connect(a);
    try {
      const uris = (await client.listResources()).resources.map((r) => r.uri);
      const reads = await Promise.all(
        ['stripe://account', 'stripe://balance'].map((uri) =>
          client.readResource({ uri }).then(
            () => 'read',
            () => 'refused',
          ),
        ),
      );
      return { uris, reads };
    } finally {
      await client.close();
      await server.close();
      await runtime.close();
    }
  };

  it('denied account tools hide (and refuse) stripe://account and stripe://balance', async () => {
    expect(
      await resourcesWith({ tools: 'create_customer', deny: 'retrieve_balance,get_stripe_account_info' }),
    ).toEqual({ uris: [], reads: ['refused', 'refused'] });
    expect(await resourcesWith({ tools: 'compact', deny: 'retrieve_balance' })).toEqual({
      uris: ['stripe://account'],
      reads: ['read', 'refused'],
    });
  });

  it('the default compact profile reads them through the same permission as stripe_api_read', async () => {
    expect((await resourcesWith({})).uris).toEqual(['stripe://account', 'stripe://balance']);
  });
});
