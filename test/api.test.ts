import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints, match } from '../src/catalog/index.js';
import { classify } from '../src/money/model.js';
import { parseAmountLimit, type AmountLimit } from '../src/policy/amounts.js';
import { createStripeClient, PINNED_API_VERSION } from '../src/stripe/client.js';
import { ALL_TOOLS, PROFILES, selectTools } from '../src/tools/registry.js';
import { startStack, writesSeen, type Stack } from './helpers.js';

let s: Stack;
const succeeded = new Set<string>();
async function ok(name: string, args: Record<string, unknown> = {}) {
  const r = await s.call(name, args);
  expect(r.isError, `${r.text}\n${s.logs.filter((l) => l.includes('"level":"error"')).join('\n')}`).toBe(
    false,
  );
  succeeded.add(name);
  return r.data;
}

beforeAll(async () => {
  s = await startStack({ tools: selectTools(['compact']) });
});
afterAll(async () => {
  await s.close();
});

describe('coverage of the SDK', () => {
  it('every resource method of the installed stripe SDK is in the catalog and reachable by a generic tool', () => {
    const stripe = createStripeClient({
      apiKey: 'sk_test_coverage0001',
      apiVersion: PINNED_API_VERSION,
      timeoutMs: 1,
      maxNetworkRetries: 0,
    });
    const sdkMethods = new Set<string>();
    const seen = new Set<unknown>([stripe]);
    const walk = (node: unknown, path: string[]) => {
      if (!node || typeof node !== 'object' || seen.has(node) || path.length > 4) return;
      seen.add(node);
      if (typeof (node as { _makeRequest?: unknown })._makeRequest === 'function') {
        let proto = Object.getPrototypeOf(node) as object | null;
        const own = new Set<string>();
        while (proto && proto.constructor.name !== 'StripeResource' && proto !== Object.prototype) {
          for (const k of Object.getOwnPropertyNames(proto))
            if (k !== 'constructor' && !k.startsWith('_')) own.add(k);
          proto = Object.getPrototypeOf(proto) as object | null;
        }
        for (const m of own) sdkMethods.add(`${node.constructor.name}.${m}`);
        return;
      }
      for (const [k, v] of Object.entries(node))
        if (!k.startsWith('_') && k !== 'webhooks' && k !== 'errors') walk(v, [...path, k]);
    };
    for (const [k, v] of Object.entries(stripe)) if (!k.startsWith('_')) walk(v, [k]);

    const inCatalog = new Set(endpoints().map((e) => e.sdk));
    // Client-side helpers, not API requests: OAuth.authorizeUrl builds a URL; the v2 event helper
    // wraps a response.
    const helpers = new Set(['OAuthResource.authorizeUrl', 'EventResource.addFetchRelatedObjectIfNeeded']);
    const missing = [...sdkMethods].filter((m) => !inCatalog.has(m) && !helpers.has(m));
    expect(missing).toEqual([]);

    // Every endpoint: the generic tool for its method resolves a concrete path back to it.
    const unreachable = endpoints().filter((e) => {
      const concrete = e.path.replace(/\{\w+\}/g, 'x_123');
      return match(e.method, concrete)?.endpoint.path !== e.path;
    });
    expect(unreachable.map((e) => `${e.method} ${e.path}`)).toEqual([]);
    const byClass = { read: 0, write: 0, money: 0 };
    for (const e of endpoints()) byClass[classify(e)]++;
    console.log(
      `catalog: ${endpoints().length} endpoints (${sdkMethods.size} SDK resource methods), read ${byClass.read} via stripe_api_read, write ${byClass.write} + money ${byClass.money} via stripe_api_write`,
    );
    expect(endpoints().length).toBeGreaterThan(600);
  });
});

describe('context budget', () => {
  it('the default (compact) tools/list reaches every endpoint in under 17,000 bytes; sizes per profile', async () => {
    const sizes: Record<string, { tools: number; bytes: number }> = {};
    for (const profile of ['compact', 'all'] as const) {
      const st = await startStack({ reuse: s.sandbox, tools: selectTools([profile]) });
      const tools = (await st.client.listTools()).tools;
      sizes[profile] = { tools: tools.length, bytes: Buffer.byteLength(JSON.stringify({ tools })) };
      await st.close();
    }
    console.log(
      `tools/list bytes: ${Object.entries(sizes)
        .map(([p, v]) => `${p} ${v.bytes} (${v.tools} tools, ~${Math.round(v.bytes / 4)} tokens)`)
        .join('; ')}`,
    );
    expect(sizes.compact!.bytes).toBeLessThan(17_000);
    expect(sizes.all!.tools).toBe(ALL_TOOLS.length);
    for (const t of ['stripe_api_read', 'stripe_api_write']) expect(PROFILES.compact).toContain(t);
  });
});

describe('generic tools through a real client', () => {
  it('stripe_api_search ranks endpoints by keywords', async () => {
    const r = await ok('stripe_api_search', { query: 'create payout' });
    expect(r.results[0]).toMatchObject({ method: 'POST', path: '/v1/payouts', class: 'money' });
    const tax = await ok('stripe_api_search', { query: 'list tax rates', limit: 3 });
    expect(tax.results.map((x: { path: string }) => x.path)).toContain('/v1/tax_rates');
  });

  it('stripe_api_details gives parameters, enums, required flags and the policy class', async () => {
    const d = await ok('stripe_api_details', { method: 'POST', path: '/v1/payment_intents' });
    expect(d).toMatchObject({
      class: 'money',
      docs_url: 'https://docs.stripe.com/api/payment_intents/create',
    });
    expect(d.params.find((p: { name: string }) => p.name === 'amount')).toMatchObject({
      type: 'integer',
      required: true,
    });
    expect(d.params.find((p: { name: string }) => p.name === 'capture_method').enum).toEqual([
      'manual',
      'automatic',
      'automatic_async',
    ]);
    const concrete = await ok('stripe_api_details', { method: 'GET', path: '/v1/customers/cus_123' });
    expect(concrete.path).toBe(
      '/v1/customers/{customer}'.replace('{customer}', concrete.path.split('/').pop()),
    );
    const none = await s.call('stripe_api_details', { method: 'GET', path: '/v1/nothing_here' });
    expect(none.text).toMatch(/no GET endpoint of the Stripe API matches \/v1\/nothing_here/);
  });

  it('stripe_api_read: retrieve, list with params, fields projection; sandbox gaps answer Stripe-shaped 404s', async () => {
    const c = await s.stripe.customers.create({
      email: 'generic@example.com',
      name: 'Gen',
      metadata: { k: 'v' },
    });
    const one = await ok('stripe_api_read', {
      path: `/v1/customers/${c.id}`,
      fields: ['email', 'metadata.k'],
    });
    expect(one.result).toEqual({
      id: c.id,
      object: 'customer',
      email: 'generic@example.com',
      metadata: { k: 'v' },
    });
    const list = await ok('stripe_api_read', {
      path: '/v1/customers',
      params: { email: 'generic@example.com', limit: 1 },
    });
    expect(list.result.data[0].id).toBe(c.id);
    const gap = await s.call('stripe_api_read', { path: '/v1/quotes' });
    expect(gap.isError).toBe(true);
    expect(gap.text).toMatch(/sandbox does not implement this endpoint/);
    // Told as a gap in the sandbox, not as an id to check.
    expect(gap.text).toMatch(/no id is wrong/);
    expect(gap.text).not.toMatch(/Check the id/);
    const bad = await s.call('stripe_api_read', { path: 'https://evil.example.com/v1/customers' });
    expect(bad.text).toMatch(/pass an API path such as \/v1\/customers/);
  });

  it('stripe_api_write: POST and DELETE through the runner, with idempotency', async () => {
    const created = await ok('stripe_api_write', {
      method: 'POST',
      path: '/v1/products',
      params: { name: 'Generic', metadata: { a: '1' } },
    });
    expect(created.result).toMatchObject({ object: 'product', name: 'Generic' });
    const again = await s.call('stripe_api_write', {
      method: 'POST',
      path: '/v1/products',
      params: { name: 'Generic', metadata: { a: '1' } },
    });
    expect(again.data.result.id).toBe(created.result.id);
    expect(again.text).toMatch(/replayed/);
    const coupon = await s.stripe.coupons.create({ percent_off: 5 });
    const del = await ok('stripe_api_write', { method: 'DELETE', path: `/v1/coupons/${coupon.id}` });
    expect(del.result).toMatchObject({ id: coupon.id, deleted: true });
    const wrong = await s.call('stripe_api_write', { method: 'POST', path: '/v1/customers/cus_1/nonsense' });
    expect(wrong.text).toMatch(/no POST endpoint/);
  });

  it('stripe_api_write: DELETE takes its parameters (in the query string, as Stripe reads them)', async () => {
    const c = await s.stripe.customers.create({ email: 'del@example.com' });
    const pm = await s.stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
    const price = await s.stripe.prices.create({
      currency: 'usd',
      unit_amount: 700,
      recurring: { interval: 'month' },
      product_data: { name: 'Cancel me' },
    });
    const sub = await s.stripe.subscriptions.create({
      customer: c.id,
      items: [{ price: price.id }],
      default_payment_method: pm.id,
    });
    const del = await s.call('stripe_api_write', {
      method: 'DELETE',
      path: `/v1/subscriptions/${sub.id}`,
      params: { prorate: true, cancellation_details: { comment: 'moving on' } },
    });
    expect(del.isError, del.text).toBe(false);
    expect(del.data.result).toMatchObject({ id: sub.id, status: 'canceled' });
  });

  it('stripe_api_write refuses parameters the endpoint does not take, naming the nearest and sending nothing', async () => {
    const before = writesSeen(s.sandbox);
    const typo = await s.call('stripe_api_write', {
      method: 'POST',
      path: '/v1/customers',
      params: { emial: 'typo@example.com' },
    });
    expect(typo.isError).toBe(true);
    expect(typo.text).toContain('POST /v1/customers has no parameter "emial". Did you mean "email"?');
    expect(typo.text).toContain('It takes: address, balance');
    const renamed = await s.call('stripe_api_write', {
      method: 'POST',
      path: '/v1/promotion_codes',
      params: { coupon: 'co_1', code: 'X' },
    });
    expect(renamed.text).toMatch(/has no parameter "coupon".*It takes: promotion,/);
    const nested = await s.call('stripe_api_write', {
      method: 'POST',
      path: '/v1/customers',
      params: { address: { zip: '12345' } },
    });
    expect(nested.text).toContain('"params.address.zip"');
    expect(nested.text).toContain('It takes: city, country, line1, line2, postal_code, state');
    expect(writesSeen(s.sandbox)).toBe(before);
  });

  it('search_stripe_resources: the Search query language, with pagination', async () => {
    for (const n of [1, 2, 3])
      await s.stripe.customers.create({ email: `searcher${n}@example.com`, metadata: { team: 'blue' } });
    const r = await ok('search_stripe_resources', {
      resource: 'customers',
      query: "metadata['team']:'blue'",
      limit: 2,
    });
    expect(r.data).toHaveLength(2);
    expect(r.has_more).toBe(true);
    const next = await ok('search_stripe_resources', {
      resource: 'customers',
      query: "metadata['team']:'blue'",
      limit: 2,
      page: r.next_page,
    });
    expect(next.data).toHaveLength(1);
    const pi = await s.stripe.paymentIntents.create({ amount: 7777, currency: 'usd' });
    const amount = await ok('search_stripe_resources', {
      resource: 'payment_intents',
      query: 'amount>7000 AND currency:"usd"',
      fields: ['amount'],
    });
    expect(amount.data.map((x: { id: string }) => x.id)).toContain(pi.id);
    const bad = await s.call('search_stripe_resources', { resource: 'customers', query: "zip:'1'" });
    expect(bad.text).toMatch(/Field 'zip' is not supported for search on customers/);
  });

  it('fetch_stripe_resources: ids of different types in one call', async () => {
    const c = await s.stripe.customers.create({ email: 'fetch@example.com' });
    const pi = await s.stripe.paymentIntents.create({ amount: 500, currency: 'usd', customer: c.id });
    const price = await s.stripe.prices.create({
      currency: 'usd',
      unit_amount: 100,
      product_data: { name: 'F' },
    });
    const r = await ok('fetch_stripe_resources', {
      ids: [c.id, pi.id, price.id, 'cus_missing', 'zz_1'],
      fields: ['customer', 'email'],
    });
    expect(r.results.map((x: { found: boolean }) => x.found)).toEqual([true, true, true, false, false]);
    expect(r.results[0].object).toEqual({ id: c.id, object: 'customer', email: 'fetch@example.com' });
    expect(r.results[1].object).toEqual({ id: pi.id, object: 'payment_intent', customer: c.id });
    expect(r.results[3].error).toMatch(/No such customer/);
    expect(r.results[4].error).toMatch(/unknown id prefix "zz_"/);
  });

  it('fetch_stripe_resources never passes a key through in a per-id error', async () => {
    const strict = await startStack({
      sandbox: { apiKeys: ['sk_test_onlythisone0001'] },
      apiKey: 'sk_test_notacceptedkey9876',
      maxNetworkRetries: 0,
    });
    try {
      const r = await strict.call('fetch_stripe_resources', { ids: ['cus_1'] });
      expect(r.data.results[0].error).toMatch(/Invalid API Key provided/);
      expect(JSON.stringify(r.result)).not.toMatch(/sk_test_[A-Za-z0-9*]*9876/);
    } finally {
      await strict.close();
    }
  });

  it('search_stripe_documentation: offline passages with docs URLs', async () => {
    const r = await ok('search_stripe_documentation', { query: 'capture payment intent' });
    expect(r.results[0].url).toMatch(/^https:\/\/docs\.stripe\.com\/api\//);
    expect(r.results.map((x: { title: string }) => x.title).join('\n')).toMatch(
      /payment_intents\/\{\w+\}\/capture/,
    );
    const param = await ok('search_stripe_documentation', { query: 'statement descriptor suffix card' });
    expect(param.results.some((x: { title: string }) => x.title.includes('·'))).toBe(true);
  });

  it('every generic tool succeeded at least once in this file', () => {
    const missing = ALL_TOOLS.filter((t) => t.toolset === 'api')
      .map((t) => t.name)
      .filter((n) => !succeeded.has(n));
    expect(missing).toEqual([]);
  });
});

describe('policy applies to generic writes exactly as to named tools', () => {
  const limit = (x: string) => parseAmountLimit(x) as AmountLimit;

  it('a money-moving POST through stripe_api_write is capped like create_payment_intent', async () => {
    const st = await startStack({ reuse: s.sandbox, runner: { policy: { maxAmount: limit('5000') } } });
    try {
      const before = writesSeen(s.sandbox);
      const generic = await st.call('stripe_api_write', {
        method: 'POST',
        path: '/v1/payment_intents',
        params: { amount: 9000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true },
      });
      const named = await st.call('create_payment_intent', {
        amount: 9000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      expect(generic.text).toBe(named.text);
      expect(generic.text).toContain('above the per-call limit of 50.00 USD');
      expect(writesSeen(s.sandbox)).toBe(before);
      // A refund through the generic tool is measured like create_refund (what remains refundable).
      const pi = await s.stripe.paymentIntents.create({
        amount: 8000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      expect(
        (
          await st.call('stripe_api_write', {
            method: 'POST',
            path: '/v1/refunds',
            params: { payment_intent: pi.id },
          })
        ).text,
      ).toContain('would move 80.00 USD');
      // A money endpoint whose amount is not in the arguments cannot be checked against caps: refused.
      const unknown = await st.call('stripe_api_write', {
        method: 'POST',
        path: '/v1/subscription_schedules',
        params: { customer: 'cus_123' },
      });
      expect(unknown.text).toMatch(
        /^Refused by policy: this call moves money, but its amount is not in the arguments/,
      );
      // Non-money writes are not capped.
      expect(
        (
          await st.call('stripe_api_write', {
            method: 'POST',
            path: '/v1/customers',
            params: { email: 'cap@example.com' },
          })
        ).isError,
      ).toBe(false);
    } finally {
      await st.close();
    }
  });

  it('and confirmed like create_payment_intent: the human sees the same summary; a decline sends nothing', async () => {
    const asked: string[] = [];
    let answer: 'accept' | 'decline' = 'decline';
    const st = await startStack({
      reuse: s.sandbox,
      runner: { policy: { confirm: 'money' } },
      clientCapabilities: { elicitation: { form: {} } },
      onElicit: (m) => (
        asked.push(m),
        answer === 'accept' ? { action: 'accept', content: { approve: true } } : { action: 'decline' }
      ),
    });
    try {
      const before = writesSeen(s.sandbox);
      const declined = await st.call('stripe_api_write', {
        method: 'POST',
        path: '/v1/payment_intents',
        params: { amount: 1500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true },
      });
      expect(declined.text).toMatch(/^Not done: the person asked to confirm this call declined it/);
      expect(writesSeen(s.sandbox)).toBe(before);
      expect(asked[0]).toContain('Amount: 15.00 USD');
      answer = 'accept';
      const accepted = await st.call('stripe_api_write', {
        method: 'POST',
        path: '/v1/payment_intents',
        params: { amount: 1500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true },
      });
      expect(accepted.data.result.status).toBe('succeeded');
      // A non-money generic write asks nobody.
      await st.call('stripe_api_write', {
        method: 'POST',
        path: '/v1/customers',
        params: { email: 'noask@example.com' },
      });
      expect(asked).toHaveLength(2);
    } finally {
      await st.close();
    }
  });

  it('--deny=*.money keeps generic writes but refuses money-moving endpoints', async () => {
    const perms = { deny: ['*.money'] };
    const st = await startStack({
      reuse: s.sandbox,
      tools: selectTools(perms),
      runner: { permits: (t) => selectTools(perms, [t as never]).length > 0 },
    });
    try {
      expect((await st.client.listTools()).tools.map((t) => t.name)).toContain('stripe_api_write');
      const r = await st.call('stripe_api_write', {
        method: 'POST',
        path: '/v1/refunds',
        params: { payment_intent: 'pi_1' },
      });
      expect(r.text).toMatch(/^Refused by policy: this call reaches a money-moving endpoint/);
      expect(
        (await st.call('stripe_api_write', { method: 'POST', path: '/v1/customers', params: {} })).isError,
      ).toBe(false);
    } finally {
      await st.close();
    }
  });
});

describe('output budget', () => {
  it('a result over ~25,000 tokens is cut, saying how to get the rest', async () => {
    const description = 'x'.repeat(2000);
    for (let i = 0; i < 60; i++) await s.stripe.products.create({ name: `Big ${i}`, description });
    const r = await ok('stripe_api_read', { path: '/v1/products', params: { limit: 100 } });
    expect(r.truncated).toBe(true);
    expect(r.note).toMatch(/Result cut to \d+ of \d+ items.*starting_after=prod_/);
    expect(JSON.stringify(r).length).toBeLessThan(100_000);
    const slim = await ok('stripe_api_read', {
      path: '/v1/products',
      params: { limit: 100 },
      fields: ['name'],
    });
    expect(slim.truncated).toBe(false);
  });
});
