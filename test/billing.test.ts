// Charging for tools, end to end over real HTTP: mcp-stripe's own tools behind plans, a real MCP client
// per paying user (api keys), the real SDK against the sandbox, its hosted Checkout page completed as a
// person would, and Stripe's webhooks keeping the local copy of who has paid.
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../src/sandbox/index.js';
import { payThrough, startBillingWorld, untilStatus, type BillingWorld } from './billing-helpers.js';
import { callTool, type Called, type HttpStack } from './helpers.js';

const PLANS = {
  product: 'Acme Tools',
  plans: {
    free: { quotas: { calls_per_day: 3 } },
    hobby: { price: { amount: 900, currency: 'usd', interval: 'month' }, quotas: { calls_per_day: 60 } },
    pro: { price: { amount: 2900, currency: 'usd', interval: 'month' }, trial_days: 14 },
    metered: {
      price: { amount: 1900, currency: 'usd', interval: 'month' },
      quotas: { calls_per_day: 2 },
      overage: { meter: 'tool_calls', unit_amount_decimal: '0.5' },
    },
  },
  tools: {
    retrieve_balance: { plans: ['hobby', 'pro'] },
    '*': { plans: ['free', 'hobby', 'pro', 'metered'] },
  },
};

let world: BillingWorld;
let sandbox: RunningSandbox;
let stack: HttpStack;

beforeAll(async () => {
  world = await startBillingWorld(PLANS);
  ({ sandbox, stack } = world);
});
afterAll(() => world?.close());

const agentFor = (name: string) => world.agentFor(name);
const pay = (link: string, card?: 'visa' | 'declined') => payThrough(sandbox, link, card);
const untilPlan = (agent: Client, plan: string) => untilStatus(agent, (s) => s.plan === plan);
const meta = (r: Called) => r.result.structuredContent as Record<string, unknown> | undefined;
const urlIn = (r: Called) => /(http:\/\/127\.0\.0\.1:\d+\/billing\/upgrade\/[\w.-]+)/.exec(r.text)?.[1];

describe('charging for tools with Stripe', () => {
  it('free quota used up → a paywall with an upgrade URL → Checkout → webhook → entitled → the call succeeds', async () => {
    const alice = await agentFor('alice');
    // The paywall reads the local copy: a paid call makes only the tool's own Stripe request.
    const before = sandbox.state.requestLog.length;
    for (let i = 0; i < 3; i++)
      expect((await callTool(alice, 'get_stripe_account_info')).isError).toBe(false);
    expect(sandbox.state.requestLog.slice(before).map((r) => r.path)).toEqual(Array(3).fill('/v1/account'));
    const over = await callTool(alice, 'get_stripe_account_info');
    expect(over.isError).toBe(true);
    expect(meta(over)).toMatchObject({
      error: 'quota_exceeded',
      plan: 'free',
      used: 3,
      limit: 3,
      upgrade_plan: 'hobby',
    });
    expect(over.text).toMatch(
      /The Free plan's quota is used up: 3 of 3 calls today\. It resets at \d{4}-\d\d-\d\dT00:00:00\.000Z\./,
    );
    // billing_status and the other billing tools never count.
    const status = await callTool(alice, 'billing_status');
    expect(status.data).toMatchObject({
      plan: 'free',
      status: 'free',
      quotas: [{ quota: 'calls_per_day', used: 3, limit: 3 }],
    });

    const walled = await callTool(alice, 'retrieve_balance');
    expect(walled.isError).toBe(true);
    expect(meta(walled)).toMatchObject({
      error: 'payment_required',
      plan: 'hobby',
      price: '9.00 USD per month',
    });
    expect(walled.text).toContain(
      'retrieve_balance needs the Hobby plan (9.00 USD per month); you are on Free.',
    );
    const link = urlIn(walled)!;
    expect(link.startsWith(`${stack.origin}/billing/upgrade/`)).toBe(true);

    // The person pays on the hosted page and is sent back; access starts (the success page reads it now).
    const { location } = await pay(link);
    expect(location).toMatch(new RegExp(`^${stack.origin}/billing/success\\?session_id=cs_`));
    expect(await (await fetch(location!)).text()).toContain('Your plan is active');
    const ok = await callTool(alice, 'retrieve_balance');
    expect(ok.isError, ok.text).toBe(false);
    expect(await untilPlan(alice, 'hobby')).toMatchObject({ status: 'active', plan_label: 'Hobby' });
    // Its quota is the new plan's.
    expect((await callTool(alice, 'get_stripe_account_info')).isError).toBe(false);

    // The customer was made at checkout with the user's id; the session names the user.
    const customers = sandbox.state.platform.all('customer');
    expect(customers.some((c) => c.metadata?.user_id === 'key:alice')).toBe(true);
    const sessions = sandbox.state.platform.all('checkout.session');
    expect(sessions.find((s) => s.client_reference_id === 'key:alice')?.status).toBe('complete');
  });

  it('without the success page, the webhooks alone make the user entitled (with the trial)', async () => {
    const bob = await agentFor('bob');
    const up = await callTool(bob, 'upgrade_plan', { plan: 'pro' });
    expect(up.data.plan).toMatchObject({ key: 'pro', trialDays: 14 });
    const { location } = await pay(up.data.url);
    expect(location).toContain('/billing/success');
    expect(await untilPlan(bob, 'pro')).toMatchObject({ status: 'trialing' });
    expect((await callTool(bob, 'retrieve_balance')).isError).toBe(false);
  });

  it.each([
    ['newest first', { order: 'reverse' as const }],
    ['shuffled and each twice', { order: 'shuffle' as const, duplicate: true }],
  ])('webhooks delivered %s still make the user entitled, once', async (_name, behaviour) => {
    sandbox.state.webhooks.behaviour = behaviour;
    try {
      const who = `ordering-${behaviour.order}`;
      const agent = await agentFor(who);
      const up = await callTool(agent, 'upgrade_plan', { plan: 'hobby' });
      await pay(up.data.url);
      expect(await untilPlan(agent, 'hobby')).toMatchObject({ status: 'active' });
      await sandbox.state.webhooks.idle();
      const stored = await stack.runtime.store.billing.subscriptionsOf('test', `key:${who}`);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ status: 'active', plan: 'hobby' });
    } finally {
      sandbox.state.webhooks.behaviour = {};
    }
  });

  it('a declined card leaves the user where they were; a forged link changes nothing', async () => {
    const carol = await agentFor('carol');
    const up = await callTool(carol, 'upgrade_plan', {});
    expect(up.data.plan.key).toBe('hobby');
    const declined = await pay(up.data.url, 'declined');
    expect(declined.status).toBe(402);
    expect(declined.body).toContain('declined');
    expect((await callTool(carol, 'billing_status')).data.plan).toBe('free');

    // The link, made out to another user (its claims changed, its signature kept).
    const [head, claims, signature] = (up.data.url as string).split('/').pop()!.split('.');
    const forgedClaims = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(claims!, 'base64url').toString()), sub: 'key:mallory' }),
    ).toString('base64url');
    const forged = `${stack.origin}/billing/upgrade/${head}.${forgedClaims}.${signature}`;
    const refused = await fetch(forged, { redirect: 'manual' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('This link is not valid');
  });

  it('a reused link opens the same Checkout Session; once subscribed, it leads to the portal, never a second subscription', async () => {
    const dave = await agentFor('dave');
    const up = await callTool(dave, 'upgrade_plan', { plan: 'hobby' });
    const first = await fetch(up.data.url, { redirect: 'manual' });
    const again = await fetch(up.data.url, { redirect: 'manual' });
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    await pay(up.data.url);
    await untilPlan(dave, 'hobby');
    const after = await fetch(up.data.url, { redirect: 'manual' });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')!.startsWith(`${sandbox.url}/p/session/bps_`)).toBe(true);
    const subs = sandbox.state.platform.all('subscription').filter((s) => s.metadata?.user_id === 'key:dave');
    expect(subs).toHaveLength(1);
    const manage = await callTool(dave, 'manage_billing');
    expect(manage.data.url).toMatch(new RegExp(`^${stack.origin}/billing/portal/`));
  });

  it('a forged webhook cannot upgrade anyone', async () => {
    const erin = await agentFor('erin');
    const fake = {
      id: 'evt_forged',
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          object: 'checkout.session',
          mode: 'subscription',
          client_reference_id: 'key:erin',
          customer: 'cus_x',
          subscription: 'sub_x',
        },
      },
    };
    const res = await fetch(`${stack.origin}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: JSON.stringify(fake),
    });
    expect(res.status).toBe(400);
    expect((await callTool(erin, 'billing_status')).data.plan).toBe('free');
  });

  it('past the quota on a plan with overage: calls run and each successful one is metered once', async () => {
    const gina = await agentFor('gina');
    const up = await callTool(gina, 'upgrade_plan', { plan: 'metered' });
    await pay(up.data.url);
    await untilPlan(gina, 'metered');
    // The first overage report is stored at Stripe but its answer is lost: the retry must not bill twice.
    sandbox.state.faults.push({
      kind: 'drop_after_commit',
      method: 'POST',
      path: '/v1/billing/meter_events',
    });
    for (let i = 0; i < 5; i++) {
      const r = await callTool(gina, 'get_stripe_account_info');
      expect(r.isError, r.text).toBe(false);
    }
    // A failed call is not metered (and gives its unit back).
    expect((await callTool(gina, 'retrieve_customer', { customer: 'cus_doesnotexist' })).isError).toBe(true);
    const customer = (await stack.runtime.store.billing.customerOf('test', 'key:gina'))!;
    const stripe = await stack.runtime.stripe();
    const meter = (await stripe.billing.meters.list()).data.find((m) => m.event_name === 'tool_calls')!;
    const now = Math.floor(Date.now() / 1000);
    for (;;) {
      await stack.runtime.billing!.metering.drain();
      if ((await stack.runtime.store.billing.meterBacklog()) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const summary = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer,
      start_time: now - 3600,
      end_time: now + 3600,
    });
    expect(summary.data[0]?.aggregated_value).toBe(3);
    const events = sandbox.state.platform.all('billing.meter_event').filter((e) => e.customer === customer);
    expect(events).toHaveLength(3);
  });

  it('50 concurrent calls with one unit of quota left: exactly one runs', async () => {
    const frank = await agentFor('frank');
    for (let i = 0; i < 2; i++) await callTool(frank, 'get_stripe_account_info');
    const results = await Promise.all(
      Array.from({ length: 50 }, () => callTool(frank, 'get_stripe_account_info')),
    );
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    expect(results.filter((r) => meta(r)?.error === 'quota_exceeded')).toHaveLength(49);
  });
});
