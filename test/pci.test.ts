import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, writesSeen, type Stack } from './helpers.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s.close();
});

describe('PCI guard through the MCP client', () => {
  it.each([
    ['plain digits in a description', 'create_customer', { description: '4242424242424242' }, 'description'],
    ['spaced', 'create_customer', { name: '4242 4242 4242 4242' }, 'name'],
    [
      'dashed, inside text',
      'create_payment_intent',
      { amount: 500, description: 'pay with 5555-5555-5555-4444 please' },
      'description',
    ],
    ['Amex 4-6-5', 'update_customer', { customer: 'cus_x', description: '3782 822463 10005' }, 'description'],
    ['in metadata', 'create_customer', { metadata: { card: '4000056655665556' } }, 'metadata.card'],
    [
      'in a nested array',
      'create_checkout_session',
      { mode: 'payment', line_items: [{ price: '6011111111111117' }] },
      'line_items[0].price',
    ],
    ['as a JSON number', 'create_payment_intent', { amount: 4242424242424242 }, 'amount'],
    ['a card_number key', 'create_customer', { card_number: '4242' }, 'card_number'],
    ['a cvc key', 'create_customer', { cvc: '123' }, 'cvc'],
    ['an exp_month key', 'create_customer', { exp_month: 12 }, 'exp_month'],
    [
      'as the payment method',
      'create_payment_intent',
      { amount: 500, payment_method: '4242424242424242', confirm: true },
      'payment_method',
    ],
  ])('%s → refused before anything reaches Stripe', async (_label, tool, args, path) => {
    const before = writesSeen(s.sandbox);
    const r = await s.call(tool, args);
    expect(r.isError).toBe(true);
    expect(r.text).toContain(`Refused: the argument "${path}" looks like raw card data`);
    expect(r.text).toMatch(/Checkout/);
    expect(r.text).not.toMatch(/4242424242424242|4242 4242|5555-5555/);
    expect(writesSeen(s.sandbox)).toBe(before);
    expect(s.logs.join('')).not.toMatch(/4242424242424242|5555-5555-5555-4444|4000056655665556/);
  });

  it('card-free arguments with long numbers pass (timestamps, order numbers)', async () => {
    const r = await s.call('create_customer', {
      description: 'Order 123456789 placed 1700000000',
      metadata: { order: '98765432' },
    });
    expect(r.isError, r.text).toBe(false);
  });
});

describe('card data never reaches the audit log or an agent', () => {
  it('a refused call with CVC and expiry in any encoding is audited with them masked', async () => {
    const { createMemoryStore } = await import('../src/storage/memory/index.js');
    const store = createMemoryStore();
    const st = await startStack({ reuse: s.sandbox, runner: { audit: store.audit } });
    try {
      for (const args of [
        { metadata: { card: { cvc: '987', exp_month: '11' } } },
        { metadata: { 'card[cvc]': '987', 'card[exp_month]': '11' } },
        { metadata: { card_cvc: '987' } },
        { description: 'card ４２４２ ４２４２ ４２４２ ４２４２ cvc 987' },
      ]) {
        const r = await st.call('create_customer', args);
        expect(r.isError).toBe(true);
      }
      // What the server stamps on a record (its time, its duration) is not the caller's: a timestamp
      // ending in .987Z is not a leaked CVC.
      const audited = JSON.stringify(
        (await store.audit.query({})).map(({ at: _at, durationMs: _ms, ...record }) => record),
      );
      expect(audited).not.toContain('987');
      expect(audited).not.toMatch(/4242|４２４２/);
      expect(audited).toContain('[card data removed]');
    } finally {
      await st.close();
    }
  });

  it("a saved card's brand, last4 and expiry stay in results (only numbers and codes are masked)", async () => {
    const c = await s.call('create_customer', { email: 'savedcard@example.com' });
    await s.call('attach_payment_method', { payment_method: 'pm_card_visa', customer: c.data.id });
    const list = await s.call('list_payment_methods', { customer: c.data.id });
    expect(list.data.data[0].card).toMatchObject({
      brand: 'visa',
      last4: '4242',
      exp_month: expect.any(Number),
      exp_year: expect.any(Number),
    });
  });

  it('a card number inside Stripe data (an event payload) is masked in list_events and get_object_state', async () => {
    const { MemoryEventLog } = await import('../src/storage/memory/index.js');
    const { EventFeed } = await import('../src/webhooks/feed.js');
    const log = new MemoryEventLog();
    const object = { id: 'cus_leaky', object: 'customer', description: 'called in with 4242 4242 4242 4242' };
    await log.append({
      id: 'evt_leaky',
      type: 'customer.updated',
      apiVersion: null,
      livemode: false,
      account: null,
      objectType: 'customer',
      objectId: 'cus_leaky',
      created: 1_700_000_000,
      receivedAt: Date.now(),
      payload: { id: 'evt_leaky', object: 'event', type: 'customer.updated', data: { object } },
    });
    const st = await startStack({ reuse: s.sandbox, runner: { events: new EventFeed(log, 50) } });
    try {
      for (const [tool, args] of [
        ['list_events', {}],
        ['get_object_state', { id: 'cus_leaky' }],
      ] as const) {
        const r = await st.call(tool, args);
        expect(r.isError, r.text).toBe(false);
        expect(r.text, tool).not.toContain('4242');
        expect(JSON.stringify(r.result.structuredContent), tool).not.toContain('4242');
      }
    } finally {
      await st.close();
    }
  });
});
