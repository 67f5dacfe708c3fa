// Charging for tools, end to end over real HTTP: mcp-stripe's own tools behind plans, a real MCP client
// per paying user (api keys), the real SDK against the sandbox, its hosted Checkout page completed as a
// person would, and Stripe's webhooks keeping the local copy of who has paid.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../src/auth/api-keys.js';
import { Plans } from '../src/billing/plans.js';
import { syncPlans } from '../src/billing/sync.js';
import { loadPlansFile } from '../src/config/plans.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.js';
import { callTool, startHttpStack, TEST_KEY, type Called, type HttpStack, sandboxStripe } from './helpers.js';

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

let sandbox: RunningSandbox;
let stack: HttpStack;
const clients: Client[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  const path = join(mkdtempSync(join(tmpdir(), 'mcp-stripe-billing-')), 'plans.json');
  writeFileSync(path, JSON.stringify(PLANS));
  const stripe = await sandboxStripe(sandbox);
  const loaded = loadPlansFile(path);
  if ('problems' in loaded) throw new Error(loaded.problems.join('\n'));
  await syncPlans(stripe, new Plans(loaded.plans), { dryRun: false });
  stack = await startHttpStack({
    flags: { apiKey: TEST_KEY, plans: path, auth: 'api-key', tools: 'all', rateLimit: '0' },
    env: { STRIPE_API_BASE: sandbox.url },
  });
  // The sandbox delivers its events to this server, signed, as Stripe does.
  const endpoint = await stripe.webhookEndpoints.create({
    url: `${stack.origin}/webhooks/stripe`,
    enabled_events: ['*'],
  });
  stack.runtime.webhooks.secrets.push(endpoint.secret!);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stack?.close();
  await sandbox?.close();
});

/** A paying user's agent: an MCP client with its own api key (the caller billing keys on). */
async function agentFor(name: string): Promise<Client> {
  const issued = await issueApiKey(
    stack.runtime.apiKeys,
    { name, scopes: ['stripe:read', 'stripe:write'] },
    Date.now(),
  );
  if ('error' in issued) throw new Error(issued.error);
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(stack.http.url), {
      requestInit: { headers: { authorization: `Bearer ${issued.key}` } },
    }),
  );
  clients.push(client);
  return client;
}

const meta = (r: Called) => r.result.structuredContent as Record<string, unknown> | undefined;
const urlIn = (r: Called) => /(http:\/\/127\.0\.0\.1:\d+\/billing\/upgrade\/[\w.-]+)/.exec(r.text)?.[1];

/** Follows a link as a browser would, through Checkout, paying with `card`; where it ended. */
async function pay(link: string, card: 'visa' | 'declined' = 'visa') {
  const toCheckout = await fetch(link, { redirect: 'manual' });
  expect(toCheckout.status).toBe(303);
  const checkout = toCheckout.headers.get('location')!;
  expect(checkout.startsWith(`${sandbox.url}/checkout/pay/cs_`)).toBe(true);
  const page = await (await fetch(checkout)).text();
  expect(page).toContain('Pay');
  const paid = await fetch(checkout, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ card, email: 'buyer@example.com' }).toString(),
  });
  return { checkout, status: paid.status, location: paid.headers.get('location'), body: await paid.text() };
}

/** Until the webhooks have brought the plan (no deadline of its own: the test's timeout is the limit). */
async function untilPlan(agent: Client, plan: string) {
  for (;;) {
    const s = await callTool(agent, 'billing_status');
    if (s.data.plan === plan) return s.data;
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
    expect(after.headers.get('location')).toMatch(/billing\.stripe\.com|\/billing_portal|portal/);
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
