import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { startStack, writesSeen, type Stack } from './helpers.js';

let sandbox: RunningSandbox;
let s: Stack;
beforeAll(async () => {
  sandbox = await startSandbox();
  s = await startStack({ reuse: sandbox });
});
afterAll(async () => {
  await s.close();
  await sandbox.close();
});

const countIntents = () => sandbox.state.platform.all('payment_intent').length;

describe('idempotency', () => {
  it('a connection dropped after Stripe committed the charge: the SDK retry replays it, exactly one payment intent', async () => {
    const before = countIntents();
    sandbox.state.faults.push({ kind: 'drop_after_commit', method: 'POST', path: '/v1/payment_intents' });
    const r = await s.call('create_payment_intent', {
      amount: 4200,
      payment_method: 'pm_card_visa',
      confirm: true,
      description: 'drop test',
    });
    expect(r.isError, r.text).toBe(false);
    expect(r.data.status).toBe('succeeded');
    expect(countIntents()).toBe(before + 1);
    const posts = sandbox.state.requestLog
      .filter((x) => x.method === 'POST' && x.path === '/v1/payment_intents')
      .slice(-2);
    expect(posts).toHaveLength(2);
    expect(posts[0]!.idempotencyKey).toBe(posts[1]!.idempotencyKey);
    expect(sandbox.state.platform.all('charge').filter((c) => c.description === 'drop test')).toHaveLength(1);
  });

  it('an agent repeating the same call gets the stored result, told it was replayed; nothing is charged twice', async () => {
    const args = {
      amount: 1234,
      payment_method: 'pm_card_visa',
      confirm: true,
      description: 'retry by agent',
    };
    const first = await s.call('create_payment_intent', args);
    const before = countIntents();
    const again = await s.call('create_payment_intent', args);
    expect(again.data.id).toBe(first.data.id);
    expect(countIntents()).toBe(before);
    expect(again.text).toMatch(/Stripe replayed the stored result.*nothing new was created or charged/s);
    expect((again.result._meta?.['mcp-stripe'] as { replayed: boolean }).replayed).toBe(true);
    expect(first.text).not.toMatch(/replayed/);
  });

  it('the derived key ignores argument order', async () => {
    const a = await s.call('create_customer', {
      email: 'order@example.com',
      name: 'Order',
      metadata: { a: '1', b: '2' },
    });
    const b = await s.call('create_customer', {
      metadata: { b: '2', a: '1' },
      name: 'Order',
      email: 'order@example.com',
    });
    expect(b.data.id).toBe(a.data.id);
  });

  it('a caller-supplied idempotency_key makes an intentional repeat', async () => {
    const args = { amount: 777, payment_method: 'pm_card_visa', confirm: true };
    const one = await s.call('create_payment_intent', args);
    const two = await s.call('create_payment_intent', { ...args, idempotency_key: 'second-purchase' });
    expect(two.data.id).not.toBe(one.data.id);
    const twoAgain = await s.call('create_payment_intent', { ...args, idempotency_key: 'second-purchase' });
    expect(twoAgain.data.id).toBe(two.data.id);
  });

  it('a decline is stored too: retrying the same declined call does not hit the card again', async () => {
    const args = { amount: 999, payment_method: 'pm_card_chargeDeclined', confirm: true };
    await s.call('create_payment_intent', args);
    const charges = sandbox.state.platform.all('charge').length;
    const again = await s.call('create_payment_intent', args);
    expect(again.isError).toBe(true);
    expect(sandbox.state.platform.all('charge').length).toBe(charges);
  });

  it('reads carry no key; writes in one call use distinct derived keys per step', async () => {
    const c = await s.call('create_customer', { email: 'steps@example.com' });
    const from = sandbox.state.requestLog.length;
    await s.call('list_customers', { limit: 1 });
    await s.call('attach_payment_method', {
      payment_method: 'pm_card_visa',
      customer: c.data.id,
      set_as_default: true,
    });
    const seen = sandbox.state.requestLog.slice(from);
    expect(seen[0]).toMatchObject({ method: 'GET' });
    expect(seen[0]!.idempotencyKey).toBeUndefined();
    const [attach, setDefault] = seen.slice(1);
    // Each write is keyed by the request itself, so two requests in one call have two keys.
    expect(attach!.idempotencyKey).toMatch(/^mcp-stripe:[0-9a-f]{40}$/);
    expect(setDefault!.idempotencyKey).toMatch(/^mcp-stripe:[0-9a-f]{40}$/);
    expect(setDefault!.idempotencyKey).not.toBe(attach!.idempotencyKey);
  });

  it('with STRIPE_IDEMPOTENCY_ENABLED=false the same call creates a new object each time', async () => {
    const off = await startStack({
      reuse: sandbox,
      runner: { defaults: { idempotencyEnabled: false } },
      maxNetworkRetries: 0,
    });
    try {
      const args = { email: 'noidem@example.com' };
      const a = await off.call('create_customer', args);
      const b = await off.call('create_customer', args);
      expect(b.data.id).not.toBe(a.data.id);
      expect(writesSeen(sandbox, '/v1/customers')).toBeGreaterThan(1);
      // A key the caller gives is still sent: the repeat is replayed.
      const c = await off.call('create_customer', { ...args, idempotency_key: 'explicit-1' });
      const d = await off.call('create_customer', { ...args, idempotency_key: 'explicit-1' });
      expect(d.data.id).toBe(c.data.id);
      expect(sandbox.state.requestLog.at(-1)!.idempotencyKey).toBe('explicit-1');
    } finally {
      await off.close();
    }
  });

  it('the key depends only on the request Stripe receives: each pair of ways to ask makes one payment intent', async () => {
    const base = { amount: 2468, payment_method: 'pm_card_visa', confirm: true };
    const generic = (params: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      s.call('stripe_api_write', {
        method: 'POST',
        path: '/v1/payment_intents',
        params: { automatic_payment_methods: { enabled: true, allow_redirects: 'never' }, ...params },
        ...extra,
      });
    const pairs: [string, () => Promise<string>, () => Promise<string>][] = [
      [
        'fields added',
        async () => (await generic({ ...base, currency: 'usd', description: 'p1' })).data.result.id as string,
        async () =>
          (await generic({ ...base, currency: 'usd', description: 'p1' }, { fields: ['id'] })).data.result
            .id as string,
      ],
      [
        'usd vs USD',
        async () => (await generic({ ...base, currency: 'usd', description: 'p2' })).data.result.id as string,
        async () => (await generic({ ...base, currency: 'USD', description: 'p2' })).data.result.id as string,
      ],
      [
        'currency given vs the server default',
        async () =>
          (await s.call('create_payment_intent', { ...base, currency: 'usd', description: 'p3' })).data
            .id as string,
        async () => (await s.call('create_payment_intent', { ...base, description: 'p3' })).data.id as string,
      ],
      [
        'the named tool vs stripe_api_write',
        async () => (await s.call('create_payment_intent', { ...base, description: 'p4' })).data.id as string,
        async () => (await generic({ ...base, currency: 'usd', description: 'p4' })).data.result.id as string,
      ],
      [
        'true vs "true"',
        async () => (await generic({ ...base, currency: 'usd', description: 'p5' })).data.result.id as string,
        async () =>
          (await generic({ ...base, confirm: 'true', currency: 'usd', description: 'p5' })).data.result
            .id as string,
      ],
    ];
    for (const [label, first, second] of pairs) {
      const before = countIntents();
      const a = await first();
      const b = await second();
      expect(b, label).toBe(a);
      expect(countIntents(), label).toBe(before + 1);
    }
  });
});
