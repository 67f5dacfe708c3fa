import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints } from '../src/catalog/index.js';
import { ConfigError } from '../src/config/errors.js';
import { classify } from '../src/money/model.js';
import { ALL_TOOLS, selectTools } from '../src/tools/registry.js';
import { startStack, type Stack } from './helpers.js';

/** The list of tool names: an interface others rely on. */
const REQUIRED = [
  'get_stripe_account_info',
  'retrieve_balance',
  'create_customer',
  'retrieve_customer',
  'update_customer',
  'list_customers',
  'create_product',
  'list_products',
  'create_price',
  'list_prices',
  'create_coupon',
  'list_coupons',
  'create_payment_link',
  'create_payment_intent',
  'retrieve_payment_intent',
  'confirm_payment_intent',
  'capture_payment_intent',
  'cancel_payment_intent',
  'list_payment_intents',
  'attach_payment_method',
  'list_payment_methods',
  'create_refund',
  'list_refunds',
  'create_subscription',
  'retrieve_subscription',
  'update_subscription',
  'cancel_subscription',
  'list_subscriptions',
  'create_invoice',
  'create_invoice_item',
  'finalize_invoice',
  'list_invoices',
  'list_disputes',
  'update_dispute',
  'create_checkout_session',
  'create_customer_portal_session',
];

let s: Stack;
let listed: Awaited<ReturnType<Stack['client']['listTools']>>['tools'];
beforeAll(async () => {
  s = await startStack();
  listed = (await s.client.listTools()).tools;
});
afterAll(async () => {
  await s.close();
});

describe('registry invariants (every tool)', () => {
  it('exposes every required tool name, once', () => {
    const names = listed.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(REQUIRED));
  });

  it.each(ALL_TOOLS.map((t) => [t.name, t] as const))('%s', (name, tool) => {
    // verb_noun, except the analytics answers, named for what they measure (`mrr`, `churn`).
    expect(name).toMatch(tool.toolset === 'analytics' ? /^[a-z]+(_[a-z]+)*$/ : /^[a-z]+(_[a-z]+)+$/);
    expect(tool.description.length).toBeGreaterThan(10);
    expect(tool.description.length).toBeLessThanOrEqual(200);
    const a = tool.annotations;
    for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
      expect(typeof a[hint], hint).toBe('boolean');
    }
    // Reads are never destructive (whether a tool writes is derived from readOnlyHint in defineTool).
    if (a.readOnlyHint) expect(a.destructiveHint).toBe(false);
    // Policy can only cap and confirm what it can measure: money-moving tools say how much they move.
    // (The generic write tool decides per endpoint: it has an effect function and a money resolver.)
    expect(typeof tool.money === 'function').toBe(
      tool.access.moneyMoving || typeof tool.effect === 'function',
    );
    // Writes accept an idempotency key; reads do not.
    expect('idempotency_key' in tool.input.shape).toBe(tool.access.write);
    // List tools paginate the Stripe way.
    if (name.startsWith('list_')) {
      // Stripe lists page both ways; the local event log pages forward (list_events' arguments are an interface).
      const cursors =
        tool.toolset === 'events'
          ? ['limit', 'starting_after']
          : ['limit', 'starting_after', 'ending_before'];
      for (const p of cursors) expect(tool.input.shape).toHaveProperty(p);
      expect(Object.keys(tool.output.shape).sort()).toEqual(['data', 'has_more', 'next_starting_after']);
    }
    const wire = listed.find((t) => t.name === name)!;
    expect(wire.outputSchema).toBeDefined();
    expect(wire.inputSchema.additionalProperties).toBe(false);
  });

  it('money-moving tools are classified as data', () => {
    const moving = ALL_TOOLS.filter((t) => t.access.moneyMoving)
      .map((t) => t.name)
      .sort();
    expect(moving).toEqual([
      'capture_payment_intent',
      'confirm_payment_intent',
      'create_payment_intent',
      'create_refund',
      'create_subscription',
      'finalize_invoice',
      'update_subscription',
    ]);
  });
});

describe('named tools and the money model', () => {
  const byId = new Map(endpoints().map((e) => [e.id, e]));
  const named = ALL_TOOLS.filter((t) => t.access.write && t.toolset !== 'api');

  it.each(named.map((t) => [t.name, t] as const))(
    '%s names the endpoints it calls, and says what it moves if any of them moves money',
    (_name, tool) => {
      expect(
        tool.endpoints?.length,
        'declare `endpoints` (catalog ids) on every named write tool',
      ).toBeGreaterThan(0);
      for (const id of tool.endpoints!) expect(byId.has(id), `${id} is not in the catalog`).toBe(true);
      const money = tool.endpoints!.some((id) => classify(byId.get(id)!) === 'money');
      // A money endpoint needs a money function (always, or decided per call by `effect`) …
      if (money)
        expect(typeof tool.money, 'a tool calling a money endpoint says what it moves').toBe('function');
      // … and a tool that says it moves money calls one.
      if (tool.access.moneyMoving) expect(money).toBe(true);
    },
  );
});

describe('tools/list snapshot', () => {
  it('matches the reviewed agent-visible surface', async () => {
    await expect(JSON.stringify(listed, null, 2) + '\n').toMatchFileSnapshot('__snapshots__/tools-list.json');
  });

  it('reports its size (context cost)', () => {
    const bytes = Buffer.byteLength(JSON.stringify({ tools: listed }));
    console.log(`tools/list: ${listed.length} tools, ${bytes} bytes (~${Math.round(bytes / 4)} tokens)`);
    expect(bytes).toBeGreaterThan(0);
  });
});

describe('selectTools', () => {
  it('all, or exact names in registry order', () => {
    expect(selectTools('all')).toHaveLength(ALL_TOOLS.length);
    expect(selectTools(['list_refunds', 'create_customer']).map((t) => t.name)).toEqual([
      'create_customer',
      'list_refunds',
    ]);
  });

  it('an unknown name is a configuration error that names it', () => {
    expect(() => selectTools(['create_customer', 'create_charge'])).toThrow(ConfigError);
    expect(() => selectTools(['create_charge'])).toThrow(/--tools pattern "create_charge" matches no tool/);
  });

  it('a server built with a subset lists only that subset, and the rest cannot be called', async () => {
    const sub = await startStack({ reuse: s.sandbox, tools: selectTools(['list_customers']) });
    try {
      expect((await sub.client.listTools()).tools.map((t) => t.name)).toEqual(['list_customers']);
      const r = await sub.client.callTool({ name: 'create_refund', arguments: {} }).catch((e: Error) => e);
      expect(String(r instanceof Error ? r.message : JSON.stringify(r))).toMatch(/create_refund not found/);
    } finally {
      await sub.close();
    }
  });
});
